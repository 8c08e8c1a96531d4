/**
 * The resources and prompts of a server definition, beside its tools: the
 * checks run once at startup, what each request registers, and the 2026-07-28
 * cache hints of the lists.
 *
 * Per-user lists: an item needing an app role the caller lacks is left out of
 * the caller's lists (`tools/list`, `resources/list`,
 * `resources/templates/list`, `prompts/list`); a list that can therefore
 * differ between callers is marked `cacheScope: "private"`, one that cannot
 * `"public"`. The 2025 revisions have no cache hint; there, shared HTTP caches
 * never reuse a response to a request that carried `Authorization` (RFC 9111
 * section 3.5), which every signed-in `/mcp` request does.
 */
import type { AuthInfo, CacheHint, McpServer, ServerOptions } from "@modelcontextprotocol/server";
import { validatedTokenOf } from "../auth/gate.js";
import { isAppResource } from "./apps.js";
import { hasCompletions, registerCompletions } from "./completions.js";
import type { Needs } from "./needs.js";
import type { AnyPrompt } from "./prompt.js";
import { listedFor, listsDependOnCaller, type Requirements } from "./requirements.js";
import { DefinitionError, isTemplate, type AnyResource } from "./resource.js";
import { registerPrompt } from "./serve-prompts.js";
import { registerResource } from "./serve-resources.js";
import type { McpServerDefinition, ServerAuth, ToolCallEnvironment } from "./server.js";

/** The list methods: a request made only of these registers only what the caller may use. */
export const LIST_METHODS: ReadonlySet<string> = new Set(["tools/list", "resources/list", "resources/templates/list", "prompts/list"]);

const served = new WeakMap<McpServerDefinition, readonly AnyResource[]>();

/**
 * The resources a definition serves: its own list, then every tool's MCP
 * Apps view that the list does not already hold (a tool brings its view, as
 * it brings its needs).
 */
export function servedResources(definition: McpServerDefinition): readonly AnyResource[] {
  let resources = served.get(definition);
  if (resources === undefined) {
    const listed = definition.resources ?? [];
    const views = definition.tools.flatMap((tool) => (tool.ui === undefined || listed.includes(tool.ui) ? [] : [tool.ui]));
    resources = [...listed, ...new Set(views)];
    served.set(definition, resources);
  }
  return resources;
}

/**
 * Checks the resources and prompts of a definition once, at startup: unique
 * names and URIs (tools' views included), every tool's view an app resource.
 * @throws DefinitionError
 */
export function checkCatalog(definition: McpServerDefinition): void {
  for (const tool of definition.tools) {
    if (tool.ui !== undefined && !isAppResource(tool.ui)) {
      throw new DefinitionError("Tool", tool.name, `its ui resource ${tool.ui.uri} must be an MCP Apps view made with defineAppResource`);
    }
  }
  const names = new Set<string>();
  const uris = new Set<string>();
  for (const resource of servedResources(definition)) {
    if (names.has(resource.name)) throw new DefinitionError("Resource", resource.name, "defined twice; resource and template names must be unique");
    names.add(resource.name);
    const uri = isTemplate(resource) ? resource.uriTemplate : resource.uri;
    if (uris.has(uri)) throw new DefinitionError("Resource", resource.name, `${uri} is served by two definitions`);
    uris.add(uri);
  }
  const prompts = new Set<string>();
  for (const prompt of definition.prompts ?? []) {
    if (prompts.has(prompt.name)) throw new DefinitionError("Prompt", prompt.name, "defined twice; prompt names must be unique");
    prompts.add(prompt.name);
  }
}

/** The union of the downstream scopes the items' needs will ask for, so users consent to all of them at sign-in. */
export function downstreamScopesOf(items: readonly { readonly needs?: Needs }[]): string[] {
  const scopes = new Set<string>();
  for (const item of items) {
    for (const need of Object.values(item.needs ?? {})) {
      for (const scope of need.downstreamScopes ?? []) scopes.add(scope);
    }
  }
  return [...scopes];
}

/** Every item of a definition that may have needs and requirements: tools, resources, prompts. */
export function itemsOf(definition: McpServerDefinition): readonly { readonly needs?: Needs; readonly requires?: Requirements }[] {
  return [...definition.tools, ...servedResources(definition), ...(definition.prompts ?? [])];
}

const cacheHints = new WeakMap<McpServerDefinition, NonNullable<ServerOptions["cacheHints"]>>();

/**
 * The per-list cache hints of a definition (2026-07-28), computed once. A
 * template's `list` with needs reads the caller's own data, so it makes
 * `resources/list` private too.
 */
export function cacheHintsOf(definition: McpServerDefinition, auth: ServerAuth): NonNullable<ServerOptions["cacheHints"]> {
  let hints = cacheHints.get(definition);
  if (hints === undefined) {
    const signedIn = auth.mode !== "none";
    // Remote servers' lists are fetched with the caller's token (lib/gateway): every list may differ per user.
    const proxies = (definition.remoteServers?.length ?? 0) > 0;
    const scope = (callerDependent: boolean): CacheHint => ({ cacheScope: signedIn && (callerDependent || proxies) ? "private" : "public" });
    const resources = servedResources(definition);
    const templates = resources.filter(isTemplate);
    const listsCallersData = templates.some((template) => template.list !== undefined && Object.keys(template.needs ?? {}).length > 0);
    hints = {
      "tools/list": scope(listsDependOnCaller(definition.tools)),
      "resources/list": scope(listsDependOnCaller(resources) || listsCallersData),
      "resources/templates/list": scope(listsDependOnCaller(templates)),
      "prompts/list": scope(listsDependOnCaller(definition.prompts ?? [])),
    };
    cacheHints.set(definition, hints);
  }
  return hints;
}

/**
 * Registers the definition's resources, templates, prompts and completions
 * on one request's server. On a list request, items the caller may not use
 * are not registered at all (the SDK lists templates whether enabled or
 * not); on any other request everything is, so that a call names what the
 * caller lacks.
 */
export function registerCatalog(server: McpServer, definition: McpServerDefinition, auth: ServerAuth, environment: ToolCallEnvironment, authInfo: AuthInfo | undefined): void {
  const token = validatedTokenOf(authInfo);
  const visible = <T extends AnyResource | AnyPrompt>(items: readonly T[]): readonly T[] =>
    environment.lists === true ? items.filter((item) => listedFor(item.requires, token)) : items;
  const resources = servedResources(definition);
  const prompts = definition.prompts ?? [];
  for (const resource of visible(resources)) registerResource(server, resource, auth, environment);
  for (const prompt of visible(prompts)) registerPrompt(server, prompt, auth, environment);
  if (hasCompletions(prompts, resources)) registerCompletions(server, prompts, resources, auth, environment);
}

/** Whether the definition serves resources, prompts, completions: for its capabilities. */
export function catalogCapabilities(definition: McpServerDefinition): { resources: boolean; prompts: boolean; completions: boolean } {
  const resources = servedResources(definition);
  const prompts = definition.prompts ?? [];
  return { resources: resources.length > 0, prompts: prompts.length > 0, completions: hasCompletions(prompts, resources) };
}
