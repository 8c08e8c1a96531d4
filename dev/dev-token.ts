/**
 * Gets an access token from a running stand-in for a dev user, by the
 * password grant (no browser): what `npm run token -- alice` needs.
 * The calling process must trust the dev certificate (with-dev-tls).
 */
import { DEV_PORTS, DEV_TENANT_ID, DEV_USERS, KIT_SCOPE_URI, VSCODE_CLIENT_ID } from "./defaults.js";

export interface DevTokenOptions {
  /** Alias or upn of a dev user. */
  readonly user: string;
  /** Default: the dev user's password from dev/defaults.ts. */
  readonly password?: string;
  /** Default `https://localhost:7443/<dev tenant>`. */
  readonly authority?: string;
  /** Default the kit's `api://<id>/mcp.access`. */
  readonly scope?: string;
  /** Default VS Code's public client id (pre-authorized on the kit app, so no consent and no secret). */
  readonly clientId?: string;
  readonly clientSecret?: string;
}

/**
 * Returns an access token for `options.user`, or throws with Entra's error description.
 *
 * @example
 * const token = await fetchDevAccessToken({ user: "alice" });
 */
export async function fetchDevAccessToken(options: DevTokenOptions): Promise<string> {
  const known = Object.values(DEV_USERS).find((user) => user.alias === options.user || user.upn === options.user);
  const password = options.password ?? known?.password;
  if (password === undefined) throw new Error(`No password known for '${options.user}'; pass one.`);
  const authority = options.authority ?? `https://localhost:${DEV_PORTS.entra}/${DEV_TENANT_ID}`;
  const form = new URLSearchParams({
    grant_type: "password",
    client_id: options.clientId ?? VSCODE_CLIENT_ID,
    username: known?.upn ?? options.user,
    password,
    scope: options.scope ?? KIT_SCOPE_URI,
  });
  if (options.clientSecret !== undefined) form.set("client_secret", options.clientSecret);
  const response = await fetch(`${authority}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (body.access_token === undefined) throw new Error(`Token request failed: ${body.error ?? response.status}: ${(body.error_description ?? "").split("\r\n")[0]}`);
  return body.access_token;
}
