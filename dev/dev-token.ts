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
/** The stand-in's port: DEV_ENTRA_PORT, as npm start reads it, else the default. */
function devEntraPort(): number {
  const raw = process.env["DEV_ENTRA_PORT"];
  const port = raw === undefined || raw === "" ? DEV_PORTS.entra : Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`DEV_ENTRA_PORT must be a port number, got '${raw}'.`);
  return port;
}

export async function fetchDevAccessToken(options: DevTokenOptions): Promise<string> {
  const known = Object.values(DEV_USERS).find((user) => user.alias === options.user || user.upn === options.user);
  const password = options.password ?? known?.password;
  if (password === undefined) {
    const aliases = Object.values(DEV_USERS).map((user) => user.alias).join(", ");
    throw new Error(`'${options.user}' is not a dev user of the stand-in; use one of: ${aliases}.`);
  }
  const authority = options.authority ?? `https://localhost:${devEntraPort()}/${DEV_TENANT_ID}`;
  const form = new URLSearchParams({
    grant_type: "password",
    client_id: options.clientId ?? VSCODE_CLIENT_ID,
    username: known?.upn ?? options.user,
    password,
    scope: options.scope ?? KIT_SCOPE_URI,
  });
  if (options.clientSecret !== undefined) form.set("client_secret", options.clientSecret);
  let response: Response;
  try {
    response = await fetch(`${authority}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
  } catch (error) {
    throw new Error(
      `The Entra stand-in at ${authority} did not answer (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}). ` +
        "Is npm start running? If it runs its stand-in on another port, set DEV_ENTRA_PORT here too, or pass --authority https://localhost:<port>/<tenant id>.",
      { cause: error },
    );
  }
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (body.access_token === undefined) throw new Error(`Token request failed: ${body.error ?? response.status}: ${(body.error_description ?? "").split("\r\n")[0]}`);
  return body.access_token;
}
