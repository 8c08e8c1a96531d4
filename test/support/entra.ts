/**
 * Fixtures for tests against the local Entra stand-in: start one with the
 * default directory, make PKCE pairs, and sign in headlessly.
 */
import { createHash, randomBytes } from "node:crypto";
import { DAEMON_CLIENT_ID, DAEMON_DEV_CLIENT_SECRET, DEV_USERS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, KIT_IDENTIFIER_URI, KIT_REDIRECT_URI, KIT_SCOPE_URI, defaultEntraStandInOptions } from "../../dev/defaults.js";
import { startEntraStandIn, type EntraStandIn, type EntraStandInOptions } from "../../dev/entra/index.js";

export interface PkcePair {
  readonly verifier: string;
  readonly challenge: string;
}

/** A fresh PKCE verifier and its S256 challenge. */
export function pkcePair(): PkcePair {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Starts a stand-in with the default directory (dev/defaults.ts) on a free port. */
export function startDefaultStandIn(overrides: Partial<EntraStandInOptions> = {}): Promise<EntraStandIn> {
  return startEntraStandIn(defaultEntraStandInOptions(overrides));
}

export interface AuthorizeResult {
  /** The redirect the stand-in answered with. */
  readonly location: URL;
  readonly code: string | null;
  readonly state: string | null;
  readonly error: string | null;
  readonly errorDescription: string | null;
}

/**
 * Signs `user` in headlessly: requests `authorizeUrl` with
 * `dev_auto=1&login_hint=<user>` added and reads the redirect.
 * Fails when the stand-in answers with anything but a redirect.
 */
export async function signInHeadless(authorizeUrl: string | URL, user: string): Promise<AuthorizeResult> {
  const url = new URL(authorizeUrl);
  url.searchParams.set("dev_auto", "1");
  url.searchParams.set("login_hint", user);
  const response = await fetch(url, { redirect: "manual" });
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) {
    throw new Error(`Expected a redirect from /authorize, got ${response.status}: ${(await response.text()).slice(0, 500)}`);
  }
  const target = new URL(location);
  return {
    location: target,
    code: target.searchParams.get("code"),
    state: target.searchParams.get("state"),
    error: target.searchParams.get("error"),
    errorDescription: target.searchParams.get("error_description"),
  };
}

/** POSTs a form to the token endpoint and returns status, headers and JSON body. */
export async function postToken(
  tokenUrl: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** Fails fast, with the fix, when the test process does not trust the development certificate. */
export function requireDevTlsTrust(): void {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined || process.env.NODE_EXTRA_CA_CERTS === "") {
    throw new Error("NODE_EXTRA_CA_CERTS is not set: run the tests through `node dist/scripts/with-dev-tls.js npx mocha ...` so Node trusts the local stand-ins.");
  }
}

/** Authorize parameters for the kit app that tests override piecemeal. */
export function kitAuthorizeParams(pkce: PkcePair, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    client_id: KIT_CLIENT_ID,
    redirect_uri: KIT_REDIRECT_URI,
    response_type: "code",
    scope: `${KIT_SCOPE_URI} openid profile offline_access`,
    state: "state-123",
    nonce: "nonce-456",
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The authorize URL of `standIn` with `params`. */
export function authorizeUrl(standIn: EntraStandIn, params: Record<string, string>, tenant?: string): URL {
  const url = new URL(standIn.endpoints(tenant).authorization);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

/** Signs `user` in to the kit app headlessly and returns the code with its PKCE verifier. */
export async function kitCode(standIn: EntraStandIn, user: string, overrides: Record<string, string | undefined> = {}): Promise<{ code: string; pkce: PkcePair }> {
  const pkce = pkcePair();
  const result = await signInHeadless(authorizeUrl(standIn, kitAuthorizeParams(pkce, overrides)), user);
  if (result.code === null) throw new Error(`No code: ${result.error ?? ""} ${result.errorDescription ?? ""}`);
  return { code: result.code, pkce };
}

/** Redeems a kit code with the kit's dev secret; `overrides` change or (undefined) drop fields. */
export function redeemKitCode(
  standIn: EntraStandIn,
  code: string,
  verifier: string,
  overrides: Record<string, string | undefined> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const fields: Record<string, string | undefined> = {
    grant_type: "authorization_code",
    client_id: KIT_CLIENT_ID,
    client_secret: KIT_DEV_CLIENT_SECRET,
    code,
    code_verifier: verifier,
    redirect_uri: KIT_REDIRECT_URI,
    scope: `${KIT_SCOPE_URI} openid profile offline_access`,
    ...overrides,
  };
  return postToken(
    standIn.endpoints().token,
    Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  );
}

/** A kit access token for `user` by the password grant (quick, no sign-in). */
export async function kitTokenByPassword(standIn: EntraStandIn, user: keyof typeof DEV_USERS, scope = `${KIT_SCOPE_URI} openid profile offline_access`): Promise<Record<string, unknown>> {
  const result = await postToken(standIn.endpoints().token, {
    grant_type: "password",
    client_id: KIT_CLIENT_ID,
    client_secret: KIT_DEV_CLIENT_SECRET,
    username: DEV_USERS[user].upn,
    password: DEV_USERS[user].password,
    scope,
  });
  if (result.status !== 200) throw new Error(`password grant failed: ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Exchanges `assertion` on behalf of its user for `scope`, as the kit app with its dev secret. */
export function oboAsKit(standIn: EntraStandIn, assertion: string, scope: string, extra: Record<string, string> = {}): ReturnType<typeof postToken> {
  return postToken(standIn.endpoints().token, {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    requested_token_use: "on_behalf_of",
    client_id: KIT_CLIENT_ID,
    client_secret: KIT_DEV_CLIENT_SECRET,
    assertion,
    scope,
    ...extra,
  });
}

/** An app-only token by the client credentials grant, as a daemon gets one (default: the dev daemon, for the kit API). */
export async function clientCredentialsToken(standIn: EntraStandIn, clientId = DAEMON_CLIENT_ID, secret = DAEMON_DEV_CLIENT_SECRET, scope = `${KIT_IDENTIFIER_URI}/.default`): Promise<string> {
  const result = await postToken(standIn.endpoints().token, { grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope });
  if (result.status !== 200) throw new Error(`client credentials grant failed: ${JSON.stringify(result.body)}`);
  return String(result.body.access_token);
}
