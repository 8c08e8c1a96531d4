/**
 * `application_type` at registration (OpenID Connect Dynamic Client
 * Registration 1.0, section 2), which MCP clients must send when they
 * register (MCP 2026-07-28, client registration), and the redirect URIs each
 * type may use (RFC 8252 for native apps):
 *
 * - `native` (desktop and mobile apps, CLIs, locally served pages): loopback
 *   `http` redirects (any port at /authorize), private-use schemes
 *   (`com.example.app:/callback`), and `https` (claimed https, RFC 8252
 *   section 7.2).
 * - `web` (an application served from a remote host): `https` on a host that
 *   is not a loopback name, nothing else.
 *
 * A client that sends no `application_type` is taken as what its redirect
 * URIs say: native when any of them is loopback or a private-use scheme,
 * web otherwise. OIDC's default would be `web`, which would refuse the
 * loopback redirects of every MCP client that predates the rule (the MCP
 * SDK v1, MCP Inspector); deriving it is what the MCP SDK v2 does on the
 * client side, so both ends agree.
 */
import { checkNativeRedirectUri, checkRedirectUri, hasPrivateUseScheme, isLoopbackUrl, RedirectUriError } from "./redirect-uris.js";

export type ApplicationType = "native" | "web";

/** An `application_type` that is neither native nor web; `message` is safe to show. */
export class ApplicationTypeError extends Error {
  readonly code = "APPLICATION_TYPE_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "ApplicationTypeError";
  }
}

/**
 * Checks `redirectUris` for the application type the client declared (or,
 * when it declared none, the one its URIs imply).
 *
 * @example
 * checkRedirectUrisFor("native", ["com.example.app:/callback"]); // { applicationType: "native", redirectUris: [...] }
 * checkRedirectUrisFor("web", ["http://127.0.0.1:8080/cb"]); // throws RedirectUriError
 * @throws ApplicationTypeError for a value other than native or web
 * @throws RedirectUriError for a URI the type may not use
 */
export function checkRedirectUrisFor(declared: unknown, redirectUris: readonly string[]): { applicationType: ApplicationType; redirectUris: string[] } {
  let applicationType: ApplicationType;
  if (declared === "native" || declared === "web") applicationType = declared;
  else if (declared === undefined) applicationType = redirectUris.some(looksNative) ? "native" : "web";
  else throw new ApplicationTypeError('application_type must be "native" or "web".');
  return { applicationType, redirectUris: redirectUris.map((uri) => (applicationType === "native" ? checkNativeRedirectUri(uri) : checkWebRedirectUri(uri))) };
}

/** A web application's redirect URI: https on a host that is not a loopback name. */
function checkWebRedirectUri(raw: string): string {
  if (hasPrivateUseScheme(raw)) throw new RedirectUriError("A web application cannot use a private-use scheme; register with application_type native.");
  const checked = checkRedirectUri(raw);
  const url = new URL(checked);
  if (url.protocol !== "https:" || isLoopbackUrl(url)) {
    throw new RedirectUriError("A web application's redirect URIs must be https on a public host; register a loopback redirect with application_type native.");
  }
  return checked;
}

function looksNative(raw: string): boolean {
  if (hasPrivateUseScheme(raw)) return true;
  try {
    return isLoopbackUrl(new URL(raw));
  } catch {
    return false;
  }
}
