/**
 * One operation as an ordinary kit tool: its plan (arguments, schemas, how
 * to send and read), its credentials as needs (`obo()` for OAuth2 / OpenID /
 * bearer schemes, `secret()` for API keys), annotations from the method,
 * and a `run` that builds the request, sends it and reads the answer.
 */
import { performance } from "node:perf_hooks";
import type { ToolAnnotations } from "@modelcontextprotocol/server";
import { jsonSchema } from "../mcp/json-schema.js";
import type { Need } from "../mcp/needs.js";
import { defineTool, type AnyTool } from "../mcp/tool.js";
import { obo, type DownstreamToken } from "../obo/need.js";
import { secret } from "../secrets/need.js";
import { send } from "./call.js";
import type { OperationPlan } from "./operation.js";
import { buildRequest } from "./request.js";
import { resultOf } from "./response.js";
import { cleanText } from "./schema.js";
import type { AuthPlan } from "./security.js";

/** What a generated tool is made from. */
export interface GeneratedToolSpec {
  readonly name: string;
  readonly plan: OperationPlan;
  readonly auth: AuthPlan;
  /** The API's base URL for this operation. */
  readonly base: URL;
  readonly timeoutMs: number | undefined;
  readonly maxResponseBytes: number;
}

const DESCRIPTION_MAX = 4000;
const TITLE_MAX = 120;

/** The tool for one operation. */
export function generatedTool(spec: GeneratedToolSpec): AnyTool {
  const { plan, auth } = spec;
  const { operation, method, path } = plan.entry;
  const needs: Record<string, Need<unknown>> = {};
  if (auth.scopes !== undefined) needs["api"] = obo(auth.scopes);
  auth.apiKeys.forEach((key, index) => (needs[`apiKey${index}`] = secret(key.secretName)));
  const resource = auth.scopes === undefined ? undefined : /^((?:https?|api):\/\/.+)\/[^/]+$/.exec(auth.scopes[0] ?? "")?.[1];
  const what = `${method.toUpperCase()} ${path}`;
  const summary = text(operation["summary"]);
  return defineTool({
    name: spec.name,
    ...(summary === "" ? {} : { title: clip(summary, TITLE_MAX) }),
    description: descriptionOf(operation, what),
    input: jsonSchema(plan.inputSchema),
    ...(plan.outputSchema === undefined ? {} : { output: jsonSchema(plan.outputSchema) }),
    needs,
    annotations: annotationsOf(method),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    async run(args, context) {
      const resolved = context as unknown as Record<string, unknown>;
      const bearer = (resolved["api"] as DownstreamToken | undefined)?.token;
      const apiKeys = auth.apiKeys.map((key, index) => ({ plan: key, value: resolved[`apiKey${index}`] as string }));
      const request = buildRequest(plan, args, spec.base, { bearer, apiKeys });
      const started = performance.now();
      const answer = await send(request, what, spec.maxResponseBytes, context.signal);
      context.log.info("openapi.call", { operation: plan.entry.operationId ?? what, status: answer.status, ms: Math.round(performance.now() - started) });
      const secrets = [...(bearer === undefined ? [] : [bearer]), ...apiKeys.map((key) => key.value)];
      // The output type is checked by the kit against the output schema; the cast only joins the two return shapes.
      return resultOf(plan, answer, what, secrets, auth.scopes, resource) as never;
    },
  });
}

/** GET/HEAD read, DELETE destroys, PUT can be repeated; every call reaches outside the server. */
function annotationsOf(method: string): ToolAnnotations {
  return {
    ...(method === "get" || method === "head" ? { readOnlyHint: true } : {}),
    ...(method === "delete" ? { destructiveHint: true } : {}),
    ...(method === "put" ? { idempotentHint: true } : {}),
    openWorldHint: true,
  };
}

function descriptionOf(operation: Record<string, unknown>, what: string): string {
  const parts = [text(operation["summary"]), text(operation["description"])].filter((part, index, all) => part !== "" && all.indexOf(part) === index);
  const body = parts.length === 0 ? what : parts.join("\n\n");
  return clip(operation["deprecated"] === true ? `Deprecated. ${body}` : body, DESCRIPTION_MAX);
}

function text(value: unknown): string {
  return typeof value === "string" ? String(cleanText(value)).trim() : "";
}

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
