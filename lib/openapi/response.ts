/**
 * An API's answer as a tool result:
 *
 * - 2xx JSON: the structured result (when the operation has an output
 *   schema; wrapped as `{ result }` when the answer is not an object) and
 *   the same JSON as text;
 * - 2xx text: text; 2xx anything else: an embedded resource (base64), with a
 *   line saying what it is;
 * - 403 `insufficient_scope`: a {@link StepUpRequiredError} naming every
 *   scope the call needs, so the user can be asked for more;
 * - any other status: a {@link ToolError} with the status and a short excerpt
 *   of the answer, stripped of control characters and of anything shaped
 *   like a token (an API that echoes the request must not hand the user's
 *   token to the model).
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { StepUpRequiredError } from "../mcp/needs.js";
import { ToolError } from "../mcp/tool.js";
import type { Answer } from "./call.js";
import { isJsonMedia, isTextual, type OperationPlan } from "./operation.js";

const EXCERPT_CHARS = 300;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** What the tool returns for a success; what it throws for anything else. */
export function resultOf(plan: OperationPlan, answer: Answer, what: string, secrets: readonly string[], scopes: readonly string[] | undefined, resource: string | undefined): CallToolResult | Record<string, unknown> {
  if (answer.status < 200 || answer.status > 299) throw failure(answer, what, secrets, scopes, resource);
  const mediaType = (answer.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const empty = answer.body.byteLength === 0;
  if (plan.response.structured !== undefined) {
    if (empty || !isJsonMedia(mediaType)) {
      throw new ToolError(`${what} answered ${answer.status} with ${empty ? "no content" : mediaType || "an untyped body"}, where its document promises JSON.`);
    }
    const value = parseJson(answer, what);
    return plan.response.structured === "wrapped" ? { result: value } : (value as Record<string, unknown>);
  }
  if (empty) return { content: [{ type: "text", text: `${what} answered ${answer.status}${answer.statusText === "" ? "" : ` ${answer.statusText}`}.` }] };
  if (isJsonMedia(mediaType)) {
    const value = parseJson(answer, what);
    const text = JSON.stringify(value);
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    return { content: [{ type: "text", text }], ...(isObject ? { structuredContent: value as Record<string, unknown> } : {}) };
  }
  if (mediaType === "" || isTextual(mediaType)) return { content: [{ type: "text", text: decode(answer) }] };
  return {
    content: [
      { type: "text", text: `${what} answered ${answer.status} with ${answer.body.byteLength} bytes of ${mediaType}, attached.` },
      { type: "resource", resource: { uri: resourceUri(answer.url), mimeType: mediaType, blob: Buffer.from(answer.body).toString("base64") } },
    ],
  };
}

function failure(answer: Answer, what: string, secrets: readonly string[], scopes: readonly string[] | undefined, resource: string | undefined): Error {
  const challenge = answer.headers.get("www-authenticate") ?? "";
  if (answer.status === 403 && /error\s*=\s*"?insufficient_scope/i.test(challenge) && scopes !== undefined) {
    const named = /scope\s*=\s*"([^"]*)"/i.exec(challenge)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    const full = named.map((scope) => (/^(?:https?|api):\/\//.test(scope) || resource === undefined ? scope : `${resource}/${scope}`));
    const needed = [...new Set([...scopes, ...full])];
    return new StepUpRequiredError(`${what}: the API needs more permissions than you granted (${needed.map((scope) => scope.slice(scope.lastIndexOf("/") + 1)).join(", ")}). Sign in to this server again to grant them.`, {
      reason: "insufficient_scope",
      scopes: needed,
    });
  }
  const retryAfter = answer.headers.get("retry-after");
  const retry = (answer.status === 429 || answer.status === 503) && retryAfter !== null && /^\d{1,6}$/.test(retryAfter) ? ` Try again in ${retryAfter} seconds.` : "";
  const excerpt = excerptOf(answer, secrets);
  const refusedToken = answer.status === 401 ? " The API refused the credentials the kit sent for you." : "";
  return new ToolError(`${what} answered ${answer.status}${answer.statusText === "" ? "" : ` ${answer.statusText}`}.${refusedToken}${retry}${excerpt === "" ? "" : ` The API said: ${excerpt}`}`);
}

/** The start of a failure's body, safe to show: one line, no control characters, no credentials. */
function excerptOf(answer: Pick<Answer, "body" | "headers">, secrets: readonly string[]): string {
  const mediaType = answer.headers.get("content-type") ?? "";
  if (!(mediaType === "" || isJsonMedia(mediaType) || isTextual(mediaType))) return "";
  let text = decode(answer).slice(0, 4 * EXCERPT_CHARS);
  for (const secret of secrets) if (secret.length >= 4) text = text.replaceAll(secret, "[redacted]");
  text = text
    .replace(JWT_LIKE, "[redacted]")
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed.
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function parseJson(answer: Answer, what: string): unknown {
  try {
    return JSON.parse(decode(answer));
  } catch {
    throw new ToolError(`${what} answered ${answer.status} with a body that is not valid JSON.`);
  }
}

function decode(answer: Pick<Answer, "body" | "headers">): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(answer.headers.get("content-type") ?? "")?.[1] ?? "utf-8";
  try {
    return new TextDecoder(charset).decode(answer.body);
  } catch {
    return new TextDecoder("utf-8").decode(answer.body);
  }
}

/** The resource's URI: where it came from, without the query (which may carry an API key). */
function resourceUri(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
