/**
 * Driving the kit's OAuth facade the way a user's browser does, headlessly:
 * the consent page, the Entra stand-in's sign-in, the callback, with cookies.
 */
import { DEV_TENANT_ID, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import type { Environment } from "../../lib/config.js";
import type { McpServerDefinition } from "../../lib/mcp/index.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { startKit, type RunningKit } from "./kit.js";
import type { ClientKind, ConnectedClient } from "./clients.js";
import { connectWithOAuth, CookieJar, HeadlessOAuthProvider, type BrowserSignIn } from "./oauth.js";

/** Settings of a kit in proxy mode in front of `standIn`. */
export function proxyEnv(standIn: EntraStandIn, extra: Environment = {}): Environment {
  return {
    AUTH_MODE: "proxy",
    ENTRA_TENANT_ID: DEV_TENANT_ID,
    ENTRA_CLIENT_ID: KIT_CLIENT_ID,
    ENTRA_AUTHORITY_HOST: standIn.origin,
    ENTRA_CLIENT_SECRET: KIT_DEV_CLIENT_SECRET,
    ENTRA_JWKS_COOLDOWN_SECONDS: "0.2",
    ...extra,
  };
}

/** Starts a kit in proxy mode. */
export function startProxyKit(standIn: EntraStandIn, options: { env?: Environment; server?: McpServerDefinition } = {}): Promise<RunningKit> {
  return startKit({ env: proxyEnv(standIn, options.env), ...(options.server === undefined ? {} : { server: options.server }) });
}

export interface FacadeBrowserOptions {
  readonly user: string;
  /** Default approve. */
  readonly decision?: "approve" | "deny";
  readonly remember?: boolean;
  /** The browser's cookies; share one jar to model one browser across sign-ins. */
  readonly jar?: CookieJar;
  /** Receives the consent page HTML, when one is shown. */
  readonly onConsentPage?: (html: string) => void;
  /** Signs in at Entra's authorize URL and resolves with the redirect back to the facade; default: the stand-in's dev_auto sign-in as `user`. */
  readonly atEntra?: (entraAuthorizeUrl: URL) => Promise<URL>;
}

/** The stand-in's headless sign-in (`dev_auto=1`); resolves with its redirect. */
async function autoSignIn(entra: URL, user: string): Promise<string> {
  entra.searchParams.set("dev_auto", "1");
  entra.searchParams.set("login_hint", user);
  const signedIn = await fetch(entra, { redirect: "manual" });
  const callback = signedIn.headers.get("location");
  if (callback === null) throw new Error(`the stand-in answered ${signedIn.status}: ${(await signedIn.text()).slice(0, 300)}`);
  return callback;
}

/** The value of a hidden input in a page. */
export function hiddenInput(html: string, name: string): string | undefined {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1]?.replaceAll("&#38;", "&").replaceAll("&#34;", '"').replaceAll("&#39;", "'").replaceAll("&#60;", "<").replaceAll("&#62;", ">");
}

/**
 * A scripted browser for the facade: loads /authorize, answers the consent
 * page (a same-origin form post), signs in at the stand-in, follows the
 * callback, and returns the client's redirect URL.
 */
export function facadeBrowser(kit: Pick<RunningKit, "baseUrl">, options: FacadeBrowserOptions): BrowserSignIn {
  const jar = options.jar ?? new CookieJar();
  return async (authorizationUrl) => {
    const first = await fetch(authorizationUrl, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.store(first);
    let toEntra: string | null;
    if (first.status === 200) {
      const html = await first.text();
      options.onConsentPage?.(html);
      const request = hiddenInput(html, "request");
      if (request === undefined) throw new Error(`no consent form in: ${html.slice(0, 300)}`);
      const form = new URLSearchParams({ request, decision: options.decision ?? "approve", ...(options.remember === true ? { remember: "on" } : {}) });
      const answer = await fetch(new URL("/consent", kit.baseUrl), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: kit.baseUrl.origin, "sec-fetch-site": "same-origin", cookie: jar.header() },
        body: form,
      });
      jar.store(answer);
      toEntra = answer.headers.get("location");
      if (answer.status !== 303 || toEntra === null) throw new Error(`consent answered ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
      if (options.decision === "deny") return new URL(toEntra);
    } else if (first.status === 303) {
      toEntra = first.headers.get("location");
    } else {
      throw new Error(`/authorize answered ${first.status}: ${(await first.text()).slice(0, 300)}`);
    }
    const entra = new URL(toEntra!);
    if (entra.origin === kit.baseUrl.origin || !entra.pathname.endsWith("/oauth2/v2.0/authorize")) return entra;
    const callback = options.atEntra === undefined ? await autoSignIn(entra, options.user) : (await options.atEntra(entra)).href;
    const back = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.store(back);
    const toClient = back.headers.get("location");
    if (toClient === null) throw new Error(`the callback answered ${back.status}: ${(await back.text()).slice(0, 300)}`);
    return new URL(toClient);
  };
}

/** What an OAuth endpoint of the facade answered: status, JSON body (or {}), headers. */
export interface FacadeAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** POSTs a form to a facade endpoint (`/token`, `/revoke`) and reads the JSON answer. */
export async function postFacadeForm(kit: Pick<RunningKit, "baseUrl">, path: "/token" | "/revoke", fields: Record<string, string>, headers: Record<string, string> = {}): Promise<FacadeAnswer> {
  const response = await fetch(new URL(path, kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields) });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

/** Registers a public client with `redirectUri` and returns its client_id. */
export async function registerPublicClient(kit: Pick<RunningKit, "baseUrl">, redirectUri: string, name = "Test client"): Promise<string> {
  const response = await fetch(new URL("/register", kit.baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri] }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${JSON.stringify(body)}`);
  return String(body["client_id"]);
}

/**
 * A whole sign-in as a client without an SDK would do it: /authorize with
 * PKCE, the consent page, the stand-in, the callback, and the code redeemed
 * at /token. Returns the token response.
 */
export async function signInForTokens(kit: Pick<RunningKit, "baseUrl">, clientId: string, redirectUri: string, user = "alice"): Promise<Record<string, unknown>> {
  const pkce = newPkcePair();
  const url = new URL("/authorize", kit.baseUrl);
  for (const [name, value] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: redirectUri, code_challenge: pkce.challenge, code_challenge_method: "S256", state: "s" })) {
    url.searchParams.set(name, value);
  }
  const redirect = await facadeBrowser(kit, { user })(url);
  const code = redirect.searchParams.get("code");
  if (code === null) throw new Error(`no code: ${redirect.href}`);
  const answer = await postFacadeForm(kit, "/token", { grant_type: "authorization_code", code, code_verifier: pkce.verifier, client_id: clientId, redirect_uri: redirectUri });
  if (answer.status !== 200) throw new Error(`code redemption answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * Connects one of the three MCP clients to a proxy-mode kit, signed in as
 * `user` through the facade (dynamic registration, consent, the stand-in).
 *
 * @example
 * const client = await connectSignedIn("v1", kit, "alice", "my test");
 */
export function connectSignedIn(kind: ClientKind, kit: Pick<RunningKit, "baseUrl" | "mcpUrl">, user: string, clientName: string): Promise<ConnectedClient> {
  // A loopback redirect URI is never listened on: the scripted browser hands the redirect back directly.
  const redirectUrl = "http://127.0.0.1:45681/callback";
  return connectWithOAuth(
    kind,
    kit.mcpUrl,
    new HeadlessOAuthProvider({
      redirectUrl,
      clientMetadata: { client_name: clientName, redirect_uris: [redirectUrl], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user }),
    }),
  );
}
