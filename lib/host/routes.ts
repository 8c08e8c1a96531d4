/**
 * Route templates as the Azure Functions host reads them.
 *
 * A template is `/`-separated segments: literals (matched case-insensitively),
 * `{name}`, `{name?}` (optional, trailing only), `{*name}` (catch-all, last only)
 * and `{name:constraint}` where the constraint is `int`, `alpha`, `guid` or
 * `bool`. A trailing slash on the request path is ignored, as in ASP.NET Core
 * routing.
 */

export type RouteParams = Record<string, string>;

export interface CompiledRoute {
  /** The template as written. */
  readonly template: string;
  /** Route parameters for `pathname`, or `undefined` when it does not match. */
  match(pathname: string): RouteParams | undefined;
}

/** Thrown for a template the Functions host would also reject. */
export class RouteTemplateError extends Error {
  readonly code = "ROUTE_TEMPLATE_INVALID";
  constructor(template: string, problem: string) {
    super(`Route template ${JSON.stringify(template)}: ${problem}`);
    this.name = "RouteTemplateError";
  }
}

type Segment =
  | { kind: "literal"; value: string }
  | { kind: "param"; name: string; optional: boolean; constraint?: (value: string) => boolean }
  | { kind: "catchAll"; name: string };

const CONSTRAINTS: Record<string, (value: string) => boolean> = {
  int: (value) => /^-?\d+$/.test(value),
  alpha: (value) => /^[A-Za-z]+$/.test(value),
  guid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  bool: (value) => /^(true|false)$/i.test(value),
};

/** Host-reserved prefixes: a function route may not start with them. */
const RESERVED_PREFIXES = ["admin", "runtime"];

/**
 * Compiles a template.
 *
 * @example
 * compileRoute("items/{id:int}").match("/items/42"); // { id: "42" }
 * @throws RouteTemplateError
 */
export function compileRoute(template: string): CompiledRoute {
  const parts = template.replace(/^\/+|\/+$/g, "").split("/").filter((part) => part !== "");
  if (parts.length > 0 && RESERVED_PREFIXES.includes(parts[0]!.toLowerCase())) {
    throw new RouteTemplateError(template, `the Functions host reserves the "${parts[0]}" prefix`);
  }
  const segments = parts.map((part, index): Segment => {
    const braced = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(\?)?(?::([A-Za-z]+))?\}$/.exec(part);
    if (braced === null) {
      if (part.includes("{") || part.includes("}")) throw new RouteTemplateError(template, `unsupported segment "${part}"`);
      return { kind: "literal", value: part.toLowerCase() };
    }
    const [, star, name, question, constraintName] = braced as unknown as [string, string, string, string | undefined, string | undefined];
    if (star === "*") {
      if (index !== parts.length - 1) throw new RouteTemplateError(template, "a catch-all parameter must be the last segment");
      return { kind: "catchAll", name };
    }
    if (question === "?" && index !== parts.length - 1) {
      throw new RouteTemplateError(template, "an optional parameter must be the last segment");
    }
    const constraint = constraintName === undefined ? undefined : CONSTRAINTS[constraintName.toLowerCase()];
    if (constraintName !== undefined && constraint === undefined) {
      throw new RouteTemplateError(template, `unknown constraint "${constraintName}"`);
    }
    return { kind: "param", name, optional: question === "?", ...(constraint === undefined ? {} : { constraint }) };
  });

  return {
    template,
    match(pathname) {
      const path = pathname.replace(/^\/+/, "").replace(/\/$/, "");
      const values = path === "" ? [] : path.split("/");
      const params: RouteParams = {};
      for (let index = 0; index < segments.length; index++) {
        const segment = segments[index]!;
        if (segment.kind === "catchAll") {
          params[segment.name] = values.slice(index).map(safeDecode).join("/");
          return params;
        }
        const value = values[index];
        if (value === undefined) {
          return segment.kind === "param" && segment.optional ? params : undefined;
        }
        const decoded = safeDecode(value);
        if (segment.kind === "literal") {
          if (decoded.toLowerCase() !== segment.value) return undefined;
        } else {
          if (segment.constraint !== undefined && !segment.constraint(decoded)) return undefined;
          params[segment.name] = decoded;
        }
      }
      return values.length === segments.length ? params : undefined;
    },
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
