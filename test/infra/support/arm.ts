/**
 * A small evaluator of ARM template expressions, enough to read what Bicep
 * compiled `infra/` into: given concrete parameter values it computes what a
 * property will be at deployment time, so tests assert values
 * (`https://func-mcp-….azurewebsites.net/auth/callback`) rather than the
 * shape of compiler output.
 *
 * What only Azure knows at deployment time (`reference(...)`: outputs of
 * other deployments, properties of created resources) evaluates to a
 * {@link Deferred} naming where the value comes from, e.g.
 * `reference(identities).outputs.runtimePrincipalId.value`. Functions that
 * hash (`uniqueString`, `guid`) are replaced by stable stand-ins: tests
 * compare them with each other, never with Azure's values.
 *
 * Unknown functions throw, so a template that grows beyond this evaluator
 * fails loudly instead of being half-checked.
 */
import { createHash } from "node:crypto";

/** A value known only at deployment time; `path` says where it comes from. */
export class Deferred {
  constructor(readonly path: string) {}
  toString(): string {
    return `⟨${this.path}⟩`;
  }
}

/** A JSON value, a deferred value, or a lambda (only as an argument of map/filter). */
export type ArmValue = string | number | boolean | null | Deferred | Lambda | ArmValue[] | { [key: string]: ArmValue };

interface Lambda {
  readonly kind: "lambda";
  readonly parameters: readonly string[];
  readonly body: Node;
  readonly scope: Scope;
}

type Node =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[] }
  | { readonly kind: "member"; readonly target: Node; readonly name: string }
  | { readonly kind: "index"; readonly target: Node; readonly index: Node };

/** Deployment-wide facts that ARM functions return. */
export interface DeploymentFacts {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resourceGroupName: string;
  /** What `environment()` returns (public cloud by default). */
  readonly environment: { [key: string]: ArmValue };
}

/** Where an expression is evaluated: a template, its parameter values, loop and lambda variables. */
export interface Scope {
  readonly template: Template;
  readonly parameters: { readonly [name: string]: ArmValue };
  readonly facts: DeploymentFacts;
  readonly copyIndexes?: { readonly [name: string]: number };
  readonly lambdaVariables?: { readonly [name: string]: ArmValue };
  /** Stand-ins for `reference(symbolicName)`, for what only Azure knows (e.g. Graph's permission ids). */
  readonly references?: { readonly [symbolicName: string]: ArmValue };
}

/** The parts of a compiled ARM template the tests read. */
export interface Template {
  readonly parameters?: { readonly [name: string]: { readonly type: string; readonly defaultValue?: ArmValue } };
  readonly variables?: { readonly [name: string]: ArmValue } & {
    readonly copy?: readonly { readonly name: string; readonly count: ArmValue; readonly input: ArmValue }[];
  };
  /** An array (classic templates) or an object keyed by symbolic name (languageVersion 2.0). */
  readonly resources: readonly TemplateResource[] | { readonly [symbolicName: string]: TemplateResource };
  readonly outputs?: { readonly [name: string]: { readonly type: string; readonly value: ArmValue } };
}

/** One resource of a compiled template. */
export interface TemplateResource {
  readonly type: string;
  readonly name?: ArmValue;
  readonly condition?: ArmValue;
  readonly scope?: ArmValue;
  readonly properties?: { readonly [key: string]: ArmValue } & {
    readonly template?: Template;
    readonly parameters?: { readonly [name: string]: { readonly value: ArmValue } };
  };
  readonly [key: string]: unknown;
}

/** The public cloud, as `environment()` describes it. */
export const PUBLIC_CLOUD: { [key: string]: ArmValue } = {
  name: "AzureCloud",
  authentication: { loginEndpoint: "https://login.microsoftonline.com/", audiences: ["https://management.core.windows.net/"] },
  suffixes: { storage: "core.windows.net", keyvaultDns: ".vault.azure.net" },
};

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new Error(`unterminated string in ${text}`);
        }
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push(`'${value}`);
    } else if ("(),.[]".includes(char)) {
      tokens.push(char);
      i++;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_]*|^-?\d+/.exec(text.slice(i));
      if (match === null) {
        throw new Error(`unexpected ${JSON.stringify(char)} in ${text}`);
      }
      tokens.push(match[0]);
      i += match[0].length;
    }
  }
  return tokens;
}

/** Parses the inside of an ARM expression (without the surrounding brackets). */
export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let position = 0;
  const next = (): string => {
    const token = tokens[position++];
    if (token === undefined) {
      throw new Error(`unexpected end of ${text}`);
    }
    return token;
  };
  const expect = (token: string): void => {
    const actual = next();
    if (actual !== token) {
      throw new Error(`expected ${token}, got ${actual} in ${text}`);
    }
  };
  const primary = (): Node => {
    const token = next();
    let node: Node;
    if (token.startsWith("'")) {
      node = { kind: "string", value: token.slice(1) };
    } else if (/^-?\d+$/.test(token)) {
      node = { kind: "number", value: Number(token) };
    } else {
      expect("(");
      const args: Node[] = [];
      if (tokens[position] !== ")") {
        args.push(primary());
        while (tokens[position] === ",") {
          position++;
          args.push(primary());
        }
      }
      expect(")");
      node = { kind: "call", name: token.toLowerCase(), args };
    }
    for (;;) {
      if (tokens[position] === ".") {
        position++;
        node = { kind: "member", target: node, name: next() };
      } else if (tokens[position] === "[") {
        position++;
        const index = primary();
        expect("]");
        node = { kind: "index", target: node, index };
      } else {
        return node;
      }
    }
  };
  const node = primary();
  if (position !== tokens.length) {
    throw new Error(`trailing tokens in ${text}`);
  }
  return node;
}

function stableHash(parts: readonly ArmValue[]): string {
  return createHash("sha256").update(JSON.stringify(parts.map(String))).digest("hex");
}

function asString(value: ArmValue): string {
  if (typeof value === "string") {
    return value;
  }
  if (value instanceof Deferred || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  throw new Error(`expected a string, got ${JSON.stringify(value)}`);
}

function isObject(value: ArmValue): value is { [key: string]: ArmValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Deferred) && !("kind" in value && value["kind"] === "lambda");
}

function truthy(value: ArmValue): boolean {
  if (typeof value !== "boolean") {
    throw new Error(`expected a boolean, got ${String(value)}`);
  }
  return value;
}

function callLambda(lambda: ArmValue, args: readonly ArmValue[]): ArmValue {
  if (typeof lambda !== "object" || lambda === null || !("kind" in lambda) || lambda.kind !== "lambda") {
    throw new Error("expected a lambda");
  }
  const fn = lambda as Lambda;
  const variables: { [name: string]: ArmValue } = { ...fn.scope.lambdaVariables };
  fn.parameters.forEach((name, i) => {
    variables[name] = args[i] ?? null;
  });
  return evaluateNode(fn.body, { ...fn.scope, lambdaVariables: variables });
}

function evaluateNode(node: Node, scope: Scope): ArmValue {
  switch (node.kind) {
    case "string":
      return node.value;
    case "number":
      return node.value;
    case "member": {
      const target = evaluateNode(node.target, scope);
      if (target instanceof Deferred) {
        return new Deferred(`${target.path}.${node.name}`);
      }
      if (isObject(target)) {
        // ARM property access is case-insensitive.
        const key = Object.keys(target).find((k) => k.toLowerCase() === node.name.toLowerCase());
        if (key === undefined) {
          throw new Error(`no property ${node.name} in ${JSON.stringify(target)}`);
        }
        return target[key]!;
      }
      throw new Error(`cannot read ${node.name} of ${String(target)}`);
    }
    case "index": {
      const target = evaluateNode(node.target, scope);
      const index = evaluateNode(node.index, scope);
      if (target instanceof Deferred) {
        return new Deferred(`${target.path}[${String(index)}]`);
      }
      if (Array.isArray(target) && typeof index === "number") {
        return target[index] ?? null;
      }
      if (isObject(target) && typeof index === "string") {
        return target[index] ?? null;
      }
      throw new Error(`cannot index ${String(target)} with ${String(index)}`);
    }
    case "call":
      return callFunction(node, scope);
  }
}

function callFunction(node: Extract<Node, { kind: "call" }>, scope: Scope): ArmValue {
  // Lazy functions first: their arguments are not all evaluated.
  if (node.name === "if") {
    const [condition, whenTrue, whenFalse] = node.args;
    return truthy(evaluateNode(condition!, scope)) ? evaluateNode(whenTrue!, scope) : evaluateNode(whenFalse!, scope);
  }
  if (node.name === "lambda") {
    const names = node.args.slice(0, -1).map((arg) => asString(evaluateNode(arg, scope)));
    return { kind: "lambda", parameters: names, body: node.args[node.args.length - 1]!, scope } satisfies Lambda;
  }
  const args = node.args.map((arg) => evaluateNode(arg, scope));
  const arg = (i: number): ArmValue => {
    if (i >= args.length) {
      throw new Error(`${node.name} needs argument ${i + 1}`);
    }
    return args[i]!;
  };
  switch (node.name) {
    case "parameters": {
      const name = asString(arg(0));
      if (!(name in scope.parameters)) {
        throw new Error(`parameter ${name} has no value`);
      }
      return scope.parameters[name]!;
    }
    case "variables":
      return variableValue(asString(arg(0)), scope);
    case "lambdavariables": {
      const name = asString(arg(0));
      if (scope.lambdaVariables === undefined || !(name in scope.lambdaVariables)) {
        throw new Error(`lambda variable ${name} is not in scope`);
      }
      return scope.lambdaVariables[name]!;
    }
    case "copyindex": {
      const name = args.length > 0 && typeof args[0] === "string" ? args[0] : "";
      const index = scope.copyIndexes?.[name];
      if (index === undefined) {
        throw new Error(`copyIndex(${name}) outside its loop`);
      }
      return index;
    }
    case "format": {
      const format = asString(arg(0));
      return format.replace(/\{(\d+)\}/g, (_, i: string) => asString(arg(Number(i) + 1)));
    }
    case "concat":
      if (args.every(Array.isArray)) {
        return (args as ArmValue[][]).flat(1);
      }
      return args.map(asString).join("");
    case "join": {
      const list = arg(0);
      if (!Array.isArray(list)) {
        throw new Error("join needs an array");
      }
      return list.map(asString).join(asString(arg(1)));
    }
    case "empty": {
      const value = arg(0);
      if (value instanceof Deferred) {
        throw new Error(`empty() of a deployment-time value ${value.path}`);
      }
      return value === null || value === "" || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
    }
    case "not":
      return !truthy(arg(0));
    case "and":
      return args.every(truthy);
    case "or":
      return args.some(truthy);
    case "equals": {
      const [a, b] = [arg(0), arg(1)];
      if (a instanceof Deferred || b instanceof Deferred) {
        throw new Error("equals() of a deployment-time value");
      }
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case "greater":
      return (arg(0) as number) > (arg(1) as number);
    case "length": {
      const value = arg(0);
      if (Array.isArray(value) || typeof value === "string") {
        return value.length;
      }
      if (isObject(value)) {
        return Object.keys(value).length;
      }
      throw new Error(`length() of ${String(value)}`);
    }
    case "first": {
      const value = arg(0);
      if (value instanceof Deferred) {
        return new Deferred(`first(${value.path})`);
      }
      return Array.isArray(value) ? (value[0] ?? null) : asString(value).slice(0, 1);
    }
    case "tolower":
      return asString(arg(0)).toLowerCase();
    case "toupper":
      return asString(arg(0)).toUpperCase();
    case "true":
      return true;
    case "false":
      return false;
    case "null":
      return null;
    case "createarray":
      return args;
    case "createobject": {
      const object: { [key: string]: ArmValue } = {};
      for (let i = 0; i < args.length; i += 2) {
        object[asString(args[i]!)] = args[i + 1] ?? null;
      }
      return object;
    }
    case "union": {
      if (args.every(Array.isArray)) {
        const seen = new Map<string, ArmValue>();
        for (const item of (args as ArmValue[][]).flat(1)) {
          seen.set(JSON.stringify(item), item);
        }
        return [...seen.values()];
      }
      return Object.assign({}, ...args.map((a) => (isObject(a) ? a : {}))) as { [key: string]: ArmValue };
    }
    case "map": {
      const list = arg(0);
      if (list instanceof Deferred) {
        return new Deferred(`map(${list.path})`);
      }
      if (!Array.isArray(list)) {
        throw new Error("map needs an array");
      }
      return list.map((item, i) => callLambda(arg(1), [item, i]));
    }
    case "filter": {
      const list = arg(0);
      if (list instanceof Deferred) {
        return new Deferred(`filter(${list.path})`);
      }
      if (!Array.isArray(list)) {
        throw new Error("filter needs an array");
      }
      return list.filter((item, i) => truthy(callLambda(arg(1), [item, i])));
    }
    case "uniquestring":
      // A stand-in with uniqueString's shape: 13 lower-case characters, stable for the same input.
      return BigInt(`0x${stableHash(args).slice(0, 16)}`).toString(36).padStart(13, "0").slice(0, 13);
    case "guid": {
      const hex = stableHash(args);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    }
    case "subscription":
      return { id: `/subscriptions/${scope.facts.subscriptionId}`, subscriptionId: scope.facts.subscriptionId, tenantId: scope.facts.tenantId };
    case "tenant":
      return { tenantId: scope.facts.tenantId };
    case "resourcegroup":
      return {
        id: `/subscriptions/${scope.facts.subscriptionId}/resourceGroups/${scope.facts.resourceGroupName}`,
        name: scope.facts.resourceGroupName,
      };
    case "environment":
      return scope.facts.environment;
    case "deployment":
      return { name: "deployment" };
    case "subscriptionresourceid": {
      const [type, ...names] = args.map(asString);
      return `/subscriptions/${scope.facts.subscriptionId}/providers/${type}/${names.join("/")}`;
    }
    case "resourceid": {
      const [type, ...names] = args.map(asString);
      return `/subscriptions/${scope.facts.subscriptionId}/resourceGroups/${scope.facts.resourceGroupName}/providers/${type}/${names.join("/")}`;
    }
    case "extensionresourceid":
      return `${args.map(asString).join("/")}`;
    case "reference": {
      const name = asString(arg(0));
      return scope.references?.[name] ?? new Deferred(`reference(${name})`);
    }
    default:
      throw new Error(`the test evaluator does not know ARM function ${node.name}()`);
  }
}

function variableValue(name: string, scope: Scope): ArmValue {
  const variables = scope.template.variables ?? {};
  const loop = variables.copy?.find((c) => c.name === name);
  if (loop !== undefined) {
    const count = evaluate(loop.count, scope);
    if (typeof count !== "number") {
      throw new Error(`copy count of ${name} is not a number`);
    }
    return Array.from({ length: count }, (_, i) =>
      evaluate(loop.input, { ...scope, copyIndexes: { ...scope.copyIndexes, [name]: i } }),
    );
  }
  if (!(name in variables)) {
    throw new Error(`no variable ${name}`);
  }
  return evaluate(variables[name]!, scope);
}

/**
 * Evaluates a template value: JSON is walked, strings of the form `[...]` are
 * expressions (`[[` escapes a literal bracket).
 */
export function evaluate(value: ArmValue | undefined, scope: Scope): ArmValue {
  if (value === undefined) {
    return null;
  }
  if (typeof value === "string") {
    if (value.startsWith("[[")) {
      return value.slice(1);
    }
    if (value.startsWith("[") && value.endsWith("]")) {
      return evaluateNode(parseExpression(value.slice(1, -1)), scope);
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => evaluate(item, scope));
  }
  if (isObject(value)) {
    const object: { [key: string]: ArmValue } = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === "copy" && Array.isArray(item)) {
        // Property loops: "copy": [{ name, count, input }] builds the named array properties.
        for (const loop of item as { name: string; count: ArmValue; input: ArmValue }[]) {
          const count = evaluate(loop.count, scope);
          object[loop.name] = Array.from({ length: count as number }, (_, i) =>
            evaluate(loop.input, { ...scope, copyIndexes: { ...scope.copyIndexes, [loop.name]: i } }),
          );
        }
        continue;
      }
      // Property names may be expressions too (e.g. userAssignedIdentities keys).
      object[String(evaluate(key, scope))] = evaluate(item, scope);
    }
    return object;
  }
  return value;
}

/** The resources of a template with their symbolic names (index numbers for classic templates). */
export function resourcesOf(template: Template): { readonly symbolicName: string; readonly resource: TemplateResource }[] {
  return Array.isArray(template.resources)
    ? (template.resources as readonly TemplateResource[]).map((resource, i) => ({ symbolicName: String(i), resource }))
    : Object.entries(template.resources as { [name: string]: TemplateResource }).map(([symbolicName, resource]) => ({ symbolicName, resource }));
}

/** A template together with the parameter values it is deployed with. */
export class Deployment {
  readonly scope: Scope;

  constructor(
    readonly template: Template,
    parameters: { readonly [name: string]: ArmValue },
    readonly facts: DeploymentFacts,
    references: { readonly [symbolicName: string]: ArmValue } = {},
  ) {
    const values: { [name: string]: ArmValue } = {};
    const partial: Scope = { template, parameters: values, facts, references };
    for (const [name, spec] of Object.entries(template.parameters ?? {})) {
      if (name in parameters) {
        values[name] = parameters[name]!;
      } else if (spec.defaultValue !== undefined) {
        // Defaults may refer to earlier parameters.
        values[name] = evaluate(spec.defaultValue, partial);
      } else {
        throw new Error(`parameter ${name} has no value and no default`);
      }
    }
    this.scope = partial;
  }

  /** Evaluates a value in this deployment. */
  evaluate(value: ArmValue | undefined): ArmValue {
    return evaluate(value, this.scope);
  }

  /** The symbolic names of the deployments this module deployment waits for (its dependsOn). */
  dependenciesOf(deploymentName: string): string[] {
    const nested = resourcesOf(this.template).find(
      ({ resource }) => resource.type === "Microsoft.Resources/deployments" && this.evaluate(resource.name) === deploymentName,
    );
    if (nested === undefined) {
      throw new Error(`no module deployment named ${deploymentName}`);
    }
    return [...((nested.resource["dependsOn"] as string[] | undefined) ?? [])];
  }

  /**
   * Every resource of one type, evaluated (condition included; `deployed` is
   * false when the condition says so). A resource loop (`copy`) yields one
   * resource per iteration, named `<symbolic name>[<index>]`.
   */
  resources(type: string): EvaluatedResource[] {
    return resourcesOf(this.template)
      .filter(({ resource }) => resource.type.split("@")[0]!.toLowerCase() === type.toLowerCase())
      .flatMap(({ symbolicName, resource }) => {
        const loop = resource["copy"] as { readonly name: string; readonly count: ArmValue } | undefined;
        const iterations: Array<{ name: string; scope: Scope }> = [];
        if (loop === undefined) {
          iterations.push({ name: symbolicName, scope: this.scope });
        } else {
          const count = this.evaluate(loop.count);
          if (typeof count !== "number") throw new Error(`copy count of ${symbolicName} is not a number`);
          for (let i = 0; i < count; i++) iterations.push({ name: `${symbolicName}[${i}]`, scope: { ...this.scope, copyIndexes: { ...this.scope.copyIndexes, "": i, [loop.name]: i } } });
        }
        return iterations.map(({ name, scope }) => ({
          symbolicName: name,
          type: resource.type,
          deployed: resource.condition === undefined ? true : truthy(evaluate(resource.condition as ArmValue, scope)),
          existing: resource["existing"] === true,
          name: evaluate(resource.name, scope),
          properties: evaluate(resource.properties as ArmValue | undefined, scope),
          raw: resource,
        }));
      });
  }

  /** The single resource of a type; throws if there are none or several. */
  resource(type: string): EvaluatedResource {
    const found = this.resources(type);
    if (found.length !== 1) {
      throw new Error(`expected one ${type}, found ${found.length}`);
    }
    return found[0]!;
  }

  /**
   * A module (nested deployment) by its deployment name, with its parameters
   * evaluated here; `references` stand in for `reference()` inside it.
   */
  module(deploymentName: string, references: { readonly [symbolicName: string]: ArmValue } = {}): Deployment {
    const nested = resourcesOf(this.template).find(
      ({ resource }) => resource.type === "Microsoft.Resources/deployments" && this.evaluate(resource.name) === deploymentName,
    );
    if (nested === undefined || nested.resource.properties?.template === undefined) {
      throw new Error(`no module deployment named ${deploymentName}`);
    }
    const parameters: { [name: string]: ArmValue } = {};
    for (const [name, { value }] of Object.entries(nested.resource.properties.parameters ?? {})) {
      parameters[name] = this.evaluate(value);
    }
    return new Deployment(nested.resource.properties.template, parameters, this.facts, references);
  }

  /** An output, evaluated. */
  output(name: string): ArmValue {
    const output = this.template.outputs?.[name];
    if (output === undefined) {
      throw new Error(`no output ${name}`);
    }
    return this.evaluate(output.value);
  }
}

/** A resource after evaluation. */
export interface EvaluatedResource {
  readonly symbolicName: string;
  readonly type: string;
  /** False when the resource's condition is false for these parameters. */
  readonly deployed: boolean;
  /** True for `existing` references, which the deployment reads but does not create. */
  readonly existing: boolean;
  readonly name: ArmValue;
  readonly properties: ArmValue;
  readonly raw: TemplateResource;
}

/** Reads a nested property of an evaluated value: `at(value, "siteConfig", "minTlsVersion")`. */
export function at(value: ArmValue, ...path: (string | number)[]): ArmValue {
  let current: ArmValue = value;
  for (const key of path) {
    if (typeof key === "number" && Array.isArray(current)) {
      current = current[key] ?? null;
    } else if (typeof key === "string" && isObject(current)) {
      current = current[key] ?? null;
    } else {
      return null;
    }
  }
  return current;
}
