/**
 * Registers the kit's resources and resource templates on the per-request
 * MCP server, each read wrapped by {@link invoke} (needs, deadline, errors),
 * its result shaped and size-checked, its `requires` turned into the SDK's
 * scope challenge.
 */
import { ProtocolError, ProtocolErrorCode, ResourceTemplate, type McpServer, type ReadResourceResult, type ServerContext, type Variables } from "@modelcontextprotocol/server";
import { z } from "zod";
import { checkSize, invoke, DEFAULT_HANDLER_TIMEOUT_MS, type Invocation } from "./invoke.js";
import { requirementsChallenge } from "./requirements.js";
import type { Needs } from "./needs.js";
import { DEFAULT_MAX_RESULT_BYTES, isTemplate, type AnyResource, type ResourceContext, type ResourceReturn, type ResourceTemplateDefinition, type VariablesShape } from "./resource.js";
import type { ServerAuth, ToolCallEnvironment } from "./server.js";

/** Registers one resource or template. */
export function registerResource(server: McpServer, resource: AnyResource, auth: ServerAuth, environment: ToolCallEnvironment): void {
  const kind = isTemplate(resource) ? "Resource template" : "Resource";
  const scopeChallenge = resource.requires === undefined || auth.resource === undefined ? undefined : requirementsChallenge(resource.requires, auth.resource, `This ${kind.toLowerCase()}`);
  const config = {
    ...(resource.title === undefined ? {} : { title: resource.title }),
    ...(resource.description === undefined ? {} : { description: resource.description }),
    ...(resource.mimeType === undefined ? {} : { mimeType: resource.mimeType }),
    ...(resource.annotations === undefined ? {} : { annotations: resource.annotations }),
    ...(resource.meta === undefined ? {} : { _meta: { ...resource.meta } }),
    // A resource whose content cannot depend on the caller may be cached by anyone (2026-07-28);
    // the SDK's default for the rest is `private`.
    ...(callerIndependent(resource) ? { cacheHint: { cacheScope: "public" as const } } : {}),
    ...(scopeChallenge === undefined ? {} : { scopeChallenge }),
  };
  const maxBytes = resource.maxBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const serveRead = <I>(
    uri: URL,
    ctx: ServerContext,
    checkInput: () => I,
    produce: (input: I, context: ResourceContext & Record<string, unknown>) => Promise<ResourceReturn>,
  ): Promise<ReadResourceResult> => {
    const invocation: Invocation = { kind, name: resource.name, needs: resource.needs, requires: resource.requires, timeoutMs: resource.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS, uri: uri.href };
    return invoke(
      invocation,
      ctx,
      auth,
      environment,
      async (context, input) => {
        const result = contentsOf(await produce(input, { ...context, uri }), uri, resource.mimeType, resource.meta);
        checkSize(invocation, context.log, result, maxBytes);
        return result;
      },
      checkInput,
    );
  };

  if (!isTemplate(resource)) {
    server.registerResource(resource.name, resource.uri, config, (uri, ctx) => serveRead(uri, ctx, () => undefined, (_input, context) => resource.read(context)));
    return;
  }
  const list = resource.list;
  const template = new ResourceTemplate(resource.template, {
    list: list === undefined ? undefined : async (ctx) => ({ resources: [...(await listResources(resource, ctx, auth, environment))] }),
  });
  // The variables are checked before any need is resolved: a bad URI costs no On-Behalf-Of exchange.
  server.registerResource(resource.name, template, config, (uri, variables, ctx) =>
    serveRead(uri, ctx, () => checkVariables(resource, variables), (checked, context) => resource.read(checked, context)),
  );
}

/** No needs and no requirements: nothing the handler could know about the caller. */
function callerIndependent(resource: AnyResource): boolean {
  return Object.keys(resource.needs ?? {}).length === 0 && resource.requires === undefined;
}

/**
 * A template's `list`, for `resources/list`. A listing that fails leaves the
 * template's resources out of the list (logged), so one unreachable API does
 * not take the whole list down.
 */
async function listResources(
  resource: ResourceTemplateDefinition<Needs, VariablesShape>,
  ctx: ServerContext,
  auth: ServerAuth,
  environment: ToolCallEnvironment,
): Promise<readonly { uri: string; name: string }[]> {
  const invocation: Invocation = { kind: "Resource template", name: resource.name, needs: resource.needs, requires: resource.requires, timeoutMs: resource.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS };
  try {
    const listed = await invoke(invocation, ctx, auth, environment, async (context) => resource.list!(context as never));
    return listed.map((item) => ({ ...(resource.mimeType === undefined ? {} : { mimeType: resource.mimeType }), ...item }));
  } catch (error) {
    // invoke has told the endpoint already (a refused sign-in answers the whole list with 401).
    environment.log.warn("mcp.list_incomplete", { resource: resource.name, message: error instanceof Error ? error.message : String(error) });
    return [];
  }
}

/**
 * The template's variables, each checked by its schema; a bad one is
 * answered -32602 naming the variable, before `read` runs.
 */
function checkVariables(resource: ResourceTemplateDefinition<Needs, VariablesShape>, variables: Variables): Record<string, unknown> {
  const checked: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(resource.variableSchemas)) {
    const raw = variables[name];
    const parsed = schema.safeParse(Array.isArray(raw) ? raw.join(",") : (raw ?? ""));
    if (!parsed.success) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid ${name} for ${resource.uriTemplate}: ${z.prettifyError(parsed.error).replace(/^✖ /, "")}`, { variable: name });
    }
    checked[name] = parsed.data;
  }
  return checked;
}

/** What a handler returned, as an MCP `resources/read` result. */
type Content = ReadResourceResult["contents"][number];

export function contentsOf(value: ResourceReturn, uri: URL, mimeType: string | undefined, meta: Readonly<Record<string, unknown>> | undefined): ReadResourceResult {
  const withMeta = (content: Content): Content => (meta === undefined || content._meta !== undefined ? content : { ...content, _meta: { ...meta } });
  if (typeof value === "string") return { contents: [withMeta({ uri: uri.href, mimeType: mimeType ?? "text/plain", text: value })] };
  if (value instanceof Uint8Array) {
    return { contents: [withMeta({ uri: uri.href, mimeType: mimeType ?? "application/octet-stream", blob: Buffer.from(value).toString("base64") })] };
  }
  if (typeof value === "object" && value !== null && Array.isArray((value as { contents?: unknown }).contents)) {
    return { contents: (value as { contents: Content[] }).contents.map(withMeta) };
  }
  return { contents: [withMeta({ uri: uri.href, mimeType: mimeType ?? "application/json", text: JSON.stringify(value) })] };
}
