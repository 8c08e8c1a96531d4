/**
 * The stand-in's switches over HTTP, for a stand-in running in another
 * process (`npm start`): `node dist/dev/cli.js consent|mfa ...` posts here.
 *
 * - `POST /_dev/consent` `{"user":"alice","client":"<client id>","scopes":["https://graph.microsoft.com/User.Read"],"consent":"withdraw"|"grant"}`
 * - `POST /_dev/mfa` `{"resource":"https://graph.microsoft.com","require":"once"|"always"|"off"}`
 *
 * Only JSON bodies are read: a page in the developer's browser cannot send
 * one across origins without a CORS preflight, which is never answered, so
 * no web page can flip a switch.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "../http.js";
import type { EntraStandIn } from "./stand-in.js";

/** The first path segment of the switches (never a tenant). */
export const DEV_SWITCHES_SEGMENT = "_dev";

/** MFA policies turned on over HTTP, by resource, so that "off" can remove them. */
const policies = new WeakMap<EntraStandIn, Map<string, () => void>>();

/** Serves `/_dev/<switch>`. */
export async function handleDevSwitch(standIn: EntraStandIn, name: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "POST" || (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() !== "application/json") {
    sendJson(response, 405, { error: "invalid_request", error_description: "POST a JSON body (Content-Type: application/json)." }, { Allow: "POST" });
    return;
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(request));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    body = parsed as Record<string, unknown>;
  } catch {
    sendJson(response, 400, { error: "invalid_request", error_description: "The body is not a JSON object." });
    return;
  }
  try {
    if (name === "consent") sendJson(response, 200, consentSwitch(standIn, body));
    else if (name === "mfa") sendJson(response, 200, mfaSwitch(standIn, body));
    else sendJson(response, 404, { error: "not_found", error_description: `No switch '${name}'; there are consent and mfa.` });
  } catch (error) {
    sendJson(response, 400, { error: "invalid_request", error_description: error instanceof Error ? error.message : String(error) });
  }
}

function consentSwitch(standIn: EntraStandIn, body: Record<string, unknown>): Record<string, unknown> {
  const user = text(body, "user");
  const client = text(body, "client");
  const scopes = body["scopes"];
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((scope): scope is string => typeof scope === "string")) throw new Error("scopes must be a list of scopes, e.g. [\"https://graph.microsoft.com/User.Read\"].");
  const consent = body["consent"];
  if (consent === "withdraw") standIn.withdrawConsent(user, client, scopes);
  else if (consent === "grant") standIn.grantConsent(user, client, scopes);
  else throw new Error('consent must be "withdraw" or "grant".');
  return { user, client, scopes, consent };
}

function mfaSwitch(standIn: EntraStandIn, body: Record<string, unknown>): Record<string, unknown> {
  const resource = text(body, "resource");
  const require = body["require"];
  const byResource = policies.get(standIn) ?? new Map<string, () => void>();
  policies.set(standIn, byResource);
  byResource.get(resource)?.();
  byResource.delete(resource);
  if (require === "once" || require === "always") byResource.set(resource, standIn.requireMfa(resource, { once: require === "once" }));
  else if (require !== "off") throw new Error('require must be "once", "always" or "off".');
  return { resource, require };
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") throw new Error(`${field} is required.`);
  return value;
}
