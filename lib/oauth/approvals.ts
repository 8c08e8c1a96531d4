/**
 * "Remember my choice": the approvals a browser has given, kept in a sealed
 * cookie of that browser. An approval covers one exact client and redirect
 * URI; anything else shows the consent page again. The one exception is the
 * port of a loopback redirect URI, which native apps choose afresh on every
 * sign-in and which the redirect rules already treat as the same URI.
 */
import { createHash } from "node:crypto";
import { isLoopbackUrl, withoutAuthorityPort } from "./redirect-uris.js";
import type { Facade } from "./facade.js";
import { LIFETIMES } from "./facade.js";

const MAX_APPROVALS = 20;

function approvalKey(clientId: string, redirectUri: string): string {
  return createHash("sha256").update(`${clientId}\n${withoutLoopbackPort(redirectUri)}`).digest("base64url").slice(0, 22);
}

function withoutLoopbackPort(redirectUri: string): string {
  const url = new URL(redirectUri);
  if (url.protocol !== "http:" || !isLoopbackUrl(url) || url.port === "") return redirectUri;
  return withoutAuthorityPort(redirectUri, url.port);
}

async function readApprovals(facade: Facade, request: Request): Promise<string[]> {
  const cookie = facade.cookies.read(request, facade.cookies.approvalsName);
  if (cookie === undefined) return [];
  try {
    const { a } = await (await facade.sealer()).unseal<{ a: unknown }>("approvals", cookie);
    return Array.isArray(a) ? a.filter((key): key is string => typeof key === "string") : [];
  } catch {
    return [];
  }
}

/** Whether this browser approved this client + redirect URI before. */
export async function hasApproval(facade: Facade, request: Request, clientId: string, redirectUri: string): Promise<boolean> {
  return (await readApprovals(facade, request)).includes(approvalKey(clientId, redirectUri));
}

/** The Set-Cookie value that adds an approval to this browser's cookie. */
export async function rememberApproval(facade: Facade, request: Request, clientId: string, redirectUri: string): Promise<string> {
  const key = approvalKey(clientId, redirectUri);
  const approvals = [...(await readApprovals(facade, request)).filter((existing) => existing !== key), key].slice(-MAX_APPROVALS);
  const sealed = await (await facade.sealer()).seal("approvals", { a: approvals }, LIFETIMES.approvals);
  return facade.cookies.set(facade.cookies.approvalsName, sealed, LIFETIMES.approvals);
}
