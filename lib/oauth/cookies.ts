/**
 * The facade's two browser cookies.
 *
 * - The binding cookie ties the Entra round trip to the browser that approved
 *   it: /auth/callback refuses a state whose binding does not match it, so a
 *   victim cannot be made to complete an attacker's sign-in.
 * - The approvals cookie remembers which exact client + redirect URI this
 *   browser approved, to skip the consent page next time.
 *
 * Both are host-only (no Domain), HttpOnly, SameSite=Lax (the return from
 * Entra is a top-level GET, which Lax allows) and Secure, with the `__Host-`
 * prefix, which browsers enforce. On http://localhost, where Secure cookies
 * cannot be set by every browser, they drop Secure and the prefix.
 */
import { parse, serialize } from "cookie";

export interface CookieJar {
  readonly bindingName: string;
  readonly approvalsName: string;
  /** Set-Cookie value for a cookie. */
  set(name: string, value: string, maxAgeSeconds: number): string;
  /** Set-Cookie value that deletes a cookie. */
  clear(name: string): string;
  /** A cookie of the request, if present. */
  read(request: Request, name: string): string | undefined;
}

/** The cookies for an app served at `publicBaseUrl`. */
export function cookieJar(publicBaseUrl: URL): CookieJar {
  const secure = publicBaseUrl.protocol === "https:";
  const prefix = secure ? "__Host-" : "";
  const attributes = { path: "/", httpOnly: true, sameSite: "lax" as const, secure };
  return {
    bindingName: `${prefix}mcpkit-binding`,
    approvalsName: `${prefix}mcpkit-consent`,
    set: (name, value, maxAgeSeconds) => serialize(name, value, { ...attributes, maxAge: maxAgeSeconds }),
    clear: (name) => serialize(name, "", { ...attributes, maxAge: 0 }),
    read(request, name) {
      const header = request.headers.get("cookie");
      if (header === null) return undefined;
      return parse(header)[name];
    },
  };
}
