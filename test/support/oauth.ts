/**
 * Real MCP clients signing in headlessly: an OAuthClientProvider that keeps
 * everything in memory and, instead of opening a browser, follows the
 * authorization URL with a scripted "browser" (a cookie jar and fetch), so
 * the SDK clients run their own discovery, registration, PKCE and token
 * handling against the kit.
 */
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";
import type { OAuthClientMetadata, OAuthClientProvider, OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { resourceAndPromptCalls, type ClientKind, type ConnectedClient, type ToolResult } from "./clients.js";

/** Follows an authorization URL the way a user's browser would; resolves with the client's redirect URL (code, state, iss). */
export type BrowserSignIn = (authorizationUrl: URL) => Promise<URL>;

export interface HeadlessProviderOptions {
  /** Where the authorization server sends the browser back. */
  readonly redirectUrl: string;
  readonly clientMetadata: OAuthClientMetadata;
  /** A pre-registered client (no dynamic registration). */
  readonly clientInformation?: StoredOAuthClientInformation;
  /** A Client ID Metadata Document URL to use as client_id. */
  readonly clientMetadataUrl?: string;
  /** Leave out the RFC 8707 `resource` parameter (direct mode: Entra refuses it). */
  readonly omitResource?: boolean;
  /**
   * Send this `scope` on code redemption and refresh. Entra's v2 token
   * endpoint requires one (AADSTS900144), which MSAL-based clients always send.
   */
  readonly tokenRequestScope?: string;
  /**
   * Implement `invalidateCredentials` as a real client would: forget the
   * tokens (or the registration) when the SDK says they are dead, e.g. after
   * `invalid_grant` at refresh, so the SDK starts a new sign-in.
   */
  readonly forgetsOnInvalidation?: boolean;
  readonly signIn: BrowserSignIn;
}

/** An in-memory OAuthClientProvider that signs in with a scripted browser. */
export class HeadlessOAuthProvider implements OAuthClientProvider {
  private information: StoredOAuthClientInformation | undefined;
  private storedTokens: StoredOAuthTokens | undefined;
  private verifier = "";
  /** The redirect of the last sign-in, once the scripted browser finished it. */
  callback: Promise<URL> | undefined;
  /** Every authorization URL the client opened. */
  readonly authorizationUrls: URL[] = [];
  readonly clientMetadataUrl: string | undefined;

  constructor(private readonly options: HeadlessProviderOptions) {
    this.information = options.clientInformation;
    this.clientMetadataUrl = options.clientMetadataUrl;
    if (options.omitResource === true) {
      this.validateResourceURL = async () => undefined;
    }
    if (options.forgetsOnInvalidation === true) {
      this.invalidateCredentials = (scope) => {
        this.invalidated.push(scope);
        if (scope === "all" || scope === "tokens") this.storedTokens = undefined;
        if (scope === "all" || scope === "client") this.information = options.clientInformation;
      };
    }
    const scope = options.tokenRequestScope;
    if (scope !== undefined) {
      this.prepareTokenRequest = () =>
        this.code === undefined
          ? undefined
          : new URLSearchParams({ grant_type: "authorization_code", code: this.code, code_verifier: this.verifier, redirect_uri: this.options.redirectUrl, scope });
      this.scopeForRefresh = () => scope;
    }
  }

  /** The authorization code of the sign-in in progress, once the browser brought it back. */
  code: string | undefined;
  prepareTokenRequest?: (scope?: string) => URLSearchParams | undefined;
  scopeForRefresh?: () => string;

  validateResourceURL?: (serverUrl: string | URL, resource?: string) => Promise<URL | undefined>;

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }
  get clientMetadata(): OAuthClientMetadata {
    return this.options.clientMetadata;
  }
  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.information;
  }
  saveClientInformation(information: StoredOAuthClientInformation): void {
    this.information = information;
  }
  tokens(): StoredOAuthTokens | undefined {
    return this.storedTokens;
  }
  saveTokens(tokens: StoredOAuthTokens): void {
    this.storedTokens = tokens;
  }
  redirectToAuthorization(authorizationUrl: URL): void {
    this.authorizationUrls.push(authorizationUrl);
    this.callback = this.options.signIn(authorizationUrl);
  }
  private discovery: OAuthDiscoveryState | undefined;
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }
  /** What the SDK asked to forget after an OAuth error (`invalid_grant` drops the tokens), in order; with `forgetsOnInvalidation`. */
  readonly invalidated: string[] = [];
  invalidateCredentials?: (scope: "all" | "client" | "tokens" | "verifier" | "discovery") => void;
  /** Drops the stored refresh token: the client can then only sign in again. */
  forgetRefreshToken(): void {
    if (this.storedTokens !== undefined) {
      const { refresh_token: _dropped, ...kept } = this.storedTokens;
      this.storedTokens = kept;
    }
  }
  /** Makes the stored access token look expired, so the next request refreshes it. */
  forgetAccessToken(): void {
    if (this.storedTokens !== undefined) this.storedTokens = { ...this.storedTokens, access_token: "expired-token-to-force-a-refresh" };
  }
}

/** A minimal cookie jar: enough for host-only cookies on http(s)://localhost. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; attributes: string }>();

  /** Every Set-Cookie header seen, raw, for assertions. */
  readonly seen: string[] = [];

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      this.seen.push(header);
      const [pair, ...attributes] = header.split(";");
      const index = pair!.indexOf("=");
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/max-age=0/i.test(header) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attributes.join(";") });
    }
  }

  header(): string {
    return [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join("; ");
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }
}

/** Connects one of the three clients with OAuth, signing in when the server asks for it. */
export async function connectWithOAuth(kind: ClientKind, mcpUrl: URL, provider: HeadlessOAuthProvider): Promise<ConnectedClient> {
  if (kind === "v1") {
    const connect = async (): Promise<V1Client> => {
      const client = new V1Client({ name: "oauth-test-v1", version: "1.0.0" });
      await client.connect(new V1Transport(mcpUrl, { authProvider: provider }));
      return client;
    };
    let client: V1Client;
    try {
      client = await connect();
    } catch (error) {
      if (provider.callback === undefined) throw error;
      await finishSignIn(kind, mcpUrl, provider);
      client = await connect();
    }
    return {
      ...resourceAndPromptCalls(client),
      label: kind,
      protocolVersion: undefined,
      listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
      callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
      close: () => client.close(),
    };
  }

  const negotiation = { versionNegotiation: { mode: kind === "v2-auto" ? ("auto" as const) : ("legacy" as const) } };
  const connect = async (): Promise<Client> => {
    const client = new Client({ name: `oauth-test-${kind}`, version: "1.0.0" }, negotiation);
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    return client;
  };
  let client: Client;
  try {
    client = await connect();
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || provider.callback === undefined) throw error;
    await finishSignIn(kind, mcpUrl, provider);
    client = await connect();
  }
  return {
    ...resourceAndPromptCalls(client),
    label: kind,
    protocolVersion: client.getNegotiatedProtocolVersion(),
    listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
    close: () => client.close(),
  };
}

/**
 * Finishes the sign-in the client started: waits for the scripted browser to
 * come back with the redirect, and has the client redeem the code, as an app
 * does when the user returns to it. Used at connection and after a step-up.
 */
export async function finishSignIn(kind: ClientKind, mcpUrl: URL, provider: HeadlessOAuthProvider): Promise<void> {
  if (provider.callback === undefined) throw new Error("the client started no sign-in");
  const redirect = await provider.callback;
  provider.callback = undefined;
  const code = redirect.searchParams.get("code");
  if (code === null) throw new Error(`sign-in failed: ${redirect.searchParams.get("error")} ${redirect.searchParams.get("error_description")}`);
  provider.code = code;
  if (kind === "v1") await new V1Transport(mcpUrl, { authProvider: provider }).finishAuth(code);
  else await new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }).finishAuth(redirect.searchParams);
}

/** Follows redirects by hand, keeping cookies, until `stop` says the URL is the destination. */
export async function follow(start: URL, jar: CookieJar, stop: (url: URL) => boolean, limit = 10): Promise<URL> {
  let url = start;
  for (let hop = 0; hop < limit; hop++) {
    if (stop(url)) return url;
    const response = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get("location");
    if (location === null) throw new Error(`${url.href} answered ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
    url = new URL(location, url);
  }
  throw new Error(`more than ${limit} redirects from ${start.href}`);
}
