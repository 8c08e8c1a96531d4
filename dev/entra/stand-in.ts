/**
 * The local Entra ID stand-in: a real HTTPS server (the development
 * certificate) behaving like the Microsoft identity platform v2 endpoint for
 * the configured tenants, plus the switches and counters tests need.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { escapeHtml, sendHtml, sendJson } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import { ensureDevTls } from "../tls.js";
import { Activity } from "./activity.js";
import { handleAuthorize } from "./authorize.js";
import { resolveTenantSegment, type MfaRequirement, type StandInContext, type TenantScope } from "./context.js";
import { Directory, type Application, type DevUser, type ManagedIdentity } from "./directory.js";
import { DEV_SWITCHES_SEGMENT, handleDevSwitch } from "./dev-switches.js";
import { handleDiscovery, handleJwks } from "./discovery.js";
import { EntraError } from "./errors.js";
import { FaultSwitches, type Fault, type FaultFilter, type FaultHandle, type FaultKind } from "./faults.js";
import { ConsentStore, GrantStore } from "./grants.js";
import { createSigningKey, SigningKeyring, type SigningKeyInfo } from "./keys.js";
import { verifyIssuedToken, type JwtClaims, type JwtHeader, type VerifiedToken } from "./jwt.js";
import { handleToken } from "./token-endpoint.js";
import { TokenFactory, type MintedToken } from "./tokens.js";
import type { AppRegistrationConfig, ConsentMode, ManagedIdentityConfig, TenantConfig } from "./types.js";

export interface EntraStandInOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** At least one tenant; the first is the default everywhere a tenant is optional. */
  readonly tenants: readonly TenantConfig[];
  readonly applications?: readonly AppRegistrationConfig[];
  /** Identities the fake managed identity endpoint can issue tokens for. */
  readonly managedIdentities?: readonly ManagedIdentityConfig[];
  /** Lifetime of access and ID tokens in seconds; default 3600. */
  readonly tokenLifetimeSeconds?: number;
  /** Default "automatic"; see {@link ConsentMode}. */
  readonly consent?: ConsentMode;
  /** Epoch milliseconds; default `Date.now`. Drives token times, code and assertion expiry. */
  readonly clock?: () => number;
  /** PEM certificate and key; default: the development certificate (dev/tls.ts). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** Options for {@link EntraStandIn.mintAccessToken}. */
export interface MintAccessTokenOptions {
  /** Tenant GUID; default the first tenant. */
  readonly tenant?: string;
  /** Alias, upn or oid; default the tenant's first user. Ignored with `appOnly`. */
  readonly user?: string;
  /** Resource app (client id or identifier URI); default the first configured application. */
  readonly audience?: string;
  /** Calling client (`azp`/`appid`); default the audience app itself. */
  readonly clientId?: string;
  /** `scp` names; default the resource's first exposed scope. */
  readonly scopes?: readonly string[];
  /** An app-only token (client credentials) with these `roles`. */
  readonly appOnly?: boolean;
  readonly roles?: readonly string[];
  /** Replace or add claims; a value of `undefined` removes the claim. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Added to the JWS header (`kid` is set by the key unless given here). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** "current" (default) or "unpublished": a fresh key whose kid is in no JWKS. */
  readonly signingKey?: "current" | "unpublished";
  /** Authentication methods of the session behind the token; default ["pwd"]. */
  readonly amr?: readonly string[];
}

export interface RequireMfaOptions {
  /** 50076 (MFA required, default) or 50079 (MFA enrollment required). */
  readonly code?: 50076 | 50079;
  /** The Conditional Access policy id named in the claims challenge. */
  readonly policyId?: string;
  /** Demand MFA once: the policy stops applying after the first token for the resource issued with MFA. */
  readonly once?: boolean;
}

/** Endpoint URLs of one tenant path segment. */
export interface EntraEndpoints {
  readonly authority: string;
  readonly discovery: string;
  readonly jwks: string;
  readonly authorization: string;
  readonly token: string;
  readonly logout: string;
  /** The issuer (for `common`/`organizations`, Entra's `{tenantid}` template). */
  readonly issuer: string;
}

/** A running stand-in. Create with {@link startEntraStandIn}. */
export class EntraStandIn {
  readonly directory: Directory;
  /** Failure switches; see also {@link EntraStandIn.fail}. */
  readonly faults: FaultSwitches;
  /** Requests seen and running counts. */
  readonly activity: Activity;
  readonly #context: StandInContext;
  readonly #listener: LoopbackListener;
  #lifetime: number;

  /** @internal Use {@link startEntraStandIn}. */
  constructor(options: EntraStandInOptions, keyring: SigningKeyring, tls: { cert: string; key: string }) {
    const clock = options.clock ?? Date.now;
    this.directory = new Directory(options.tenants, options.applications ?? [], options.managedIdentities ?? []);
    this.faults = new FaultSwitches();
    this.activity = new Activity();
    this.#lifetime = options.tokenLifetimeSeconds ?? 3600;
    this.#listener = createLoopbackListener({ handler: (request, response) => this.#handle(request, response), tls, ...(options.port === undefined ? {} : { port: options.port }) });
    const origin = (): string => this.#listener.origin;
    this.#context = {
      directory: this.directory,
      keyring,
      tokens: new TokenFactory({ keyring, clock, accessTokenLifetime: () => this.#lifetime, origin }),
      grants: new GrantStore(clock),
      consent: new ConsentStore(this.directory, options.consent ?? "automatic"),
      faults: this.faults,
      activity: this.activity,
      clock,
      origin,
      mfaRequirements: [],
      autoSignIn: undefined,
    };
  }

  /** `https://localhost:<port>`. */
  get origin(): string {
    return this.#listener.origin;
  }

  get port(): number {
    return this.#listener.port;
  }

  /** `localhost:<port>`: the host msal must be told about (`knownAuthorities`). */
  get host(): string {
    return new URL(this.origin).host;
  }

  get listening(): boolean {
    return this.#listener.listening;
  }

  /** The first tenant's id, the default wherever a tenant is optional. */
  get defaultTenant(): string {
    return this.directory.tenants.keys().next().value!;
  }

  /** `https://localhost:<port>/<tenant>`: an msal `authority`. */
  authority(tenant: string = this.defaultTenant): string {
    return `${this.origin}/${tenant}`;
  }

  /** The v2 issuer of a tenant: `https://localhost:<port>/<tid>/v2.0`. */
  issuer(tenant: string = this.defaultTenant): string {
    return this.#context.tokens.v2Issuer(tenant.toLowerCase());
  }

  /** Endpoint URLs for a tenant GUID, domain, `common` or `organizations`. */
  endpoints(tenant: string = this.defaultTenant): EntraEndpoints {
    const base = this.authority(tenant);
    const multi = ["common", "organizations"].includes(tenant.toLowerCase());
    return {
      authority: base,
      discovery: `${base}/v2.0/.well-known/openid-configuration`,
      jwks: `${base}/discovery/v2.0/keys`,
      authorization: `${base}/oauth2/v2.0/authorize`,
      token: `${base}/oauth2/v2.0/token`,
      logout: `${base}/oauth2/v2.0/logout`,
      issuer: multi ? `${this.origin}/{tenantid}/v2.0` : this.issuer(tenant),
    };
  }

  /** A dev user by alias, upn or oid (any tenant); throws when unknown. */
  user(hint: string): DevUser {
    const user = this.directory.user(hint);
    if (user === undefined) throw new Error(`No dev user '${hint}'.`);
    return user;
  }

  /**
   * Turns a failure switch on: `fault` (or its kind with default settings) for
   * requests matching `filter` (default: every token request), until removed
   * or `filter.times` requests.
   *
   * @example
   * standIn.fail("consent_required", { grantType: "obo", times: 1 });
   * standIn.fail({ kind: "throttled", retryAfterSeconds: 2 }, { grantType: "obo" });
   * standIn.fail({ kind: "server_error", status: 503 }, { endpoint: "jwks" });
   */
  fail(fault: Fault | Exclude<FaultKind, "delay">, filter: FaultFilter = {}): FaultHandle {
    const resolved: Fault = typeof fault === "string" ? ({ kind: fault } as Fault) : fault;
    return this.faults.add({ ...filter, fault: resolved });
  }

  /** Makes matching requests slow: `ms` of delay, then a normal answer. */
  delay(ms: number, filter: FaultFilter = {}): FaultHandle {
    return this.faults.add({ ...filter, fault: { kind: "delay", ms } });
  }

  /** Turns every failure switch off. */
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Signs in `user` at /authorize without showing the page (undefined turns
   * it off), for flows whose authorize URL a library builds.
   */
  setAutoSignIn(user: string | undefined): void {
    if (user !== undefined) this.user(user);
    this.#context.autoSignIn = user;
  }

  /** Switches between automatic and explicit consent (see {@link ConsentMode}). */
  setConsentMode(mode: ConsentMode): void {
    this.#context.consent.mode = mode;
  }

  /** Records `user`'s consent for `scopes` (resource-qualified, e.g. `https://graph.microsoft.com/User.Read`; a bare name means Graph) to `clientId`. */
  grantConsent(user: string, clientId: string, scopes: readonly string[]): void {
    this.#changeConsent(user, clientId, scopes, (tenant, dev, client, resource, names) => this.#context.consent.grant(tenant, dev, client, resource, names));
  }

  /**
   * Withdraws `user`'s consent for `scopes` to `clientId`, as a user does in
   * My Apps, in either consent mode: tokens for them fail with AADSTS65001
   * until the user consents again at a sign-in, where the consent page asks
   * for them.
   *
   * @example
   * standIn.withdrawConsent("alice", KIT_CLIENT_ID, ["https://graph.microsoft.com/User.Read"]);
   */
  withdrawConsent(user: string, clientId: string, scopes: readonly string[]): void {
    this.#changeConsent(user, clientId, scopes, (tenant, dev, client, resource, names) => this.#context.consent.withdraw(tenant, dev, client, resource, names));
  }

  #changeConsent(user: string, clientId: string, scopes: readonly string[], change: (tenant: string, user: DevUser, client: Application, resource: Application, names: string[]) => void): void {
    const dev = this.user(user);
    const client = this.#application(clientId);
    for (const scope of scopes) {
      const slash = scope.lastIndexOf("/");
      const resource = this.directory.resource(slash === -1 ? "https://graph.microsoft.com" : scope.slice(0, slash));
      const name = slash === -1 ? scope : scope.slice(slash + 1);
      if (resource === undefined || ![...resource.scopes].some((exposed) => exposed.toLowerCase() === name.toLowerCase())) throw new Error(`Unknown scope '${scope}'.`);
      change(dev.tid, dev, client, resource, [name]);
    }
  }

  /** Forgets consents granted at sign-in or by {@link grantConsent} (of one user, or all). */
  revokeConsent(user?: string): void {
    this.#context.consent.revoke(user === undefined ? undefined : this.user(user).oid);
  }

  /**
   * A Conditional Access policy: tokens for `resource` (client id or
   * identifier URI) require MFA in the sign-in session. Without it, the token
   * endpoint answers AADSTS50076 (or 50079) with a `claims` challenge; a
   * sign-in that carries that challenge in `claims` (or `dev_mfa=1`) performs
   * MFA. Returns a function that removes the policy.
   */
  requireMfa(resource: string, options: RequireMfaOptions = {}): () => void {
    const app = this.directory.resource(resource);
    if (app === undefined) throw new Error(`Unknown resource '${resource}'.`);
    const requirement: MfaRequirement = { resource: app, code: options.code ?? 50076, policyId: options.policyId ?? randomUUID(), ...(options.once === true ? { once: true } : {}) };
    this.#context.mfaRequirements.push(requirement);
    return () => {
      const index = this.#context.mfaRequirements.indexOf(requirement);
      if (index !== -1) this.#context.mfaRequirements.splice(index, 1);
    };
  }

  /** Lifetime of tokens issued from now on, in seconds. */
  setTokenLifetime(seconds: number): void {
    this.#lifetime = seconds;
  }

  /** Revokes refresh tokens (of one user, or all); returns how many. */
  revokeRefreshTokens(user?: string): number {
    return this.#context.grants.revokeRefreshTokens(user === undefined ? undefined : this.user(user).oid);
  }

  /**
   * Adds a new current signing key and returns its kid. Older keys stay in
   * the JWKS; with `retirePreviousAfterMs` they leave it that long from now.
   */
  async rotateSigningKey(options: { retirePreviousAfterMs?: number } = {}): Promise<string> {
    return (await this.#context.keyring.rotate(options.retirePreviousAfterMs)).kid;
  }

  /** Removes a (non-current) key from the JWKS at once; its tokens stop validating here too. */
  retireSigningKey(kid: string): void {
    this.#context.keyring.retire(kid);
  }

  /** Every signing key with its state, newest first. */
  signingKeys(): SigningKeyInfo[] {
    return this.#context.keyring.info();
  }

  /**
   * Verifies a token this stand-in issued (signature by a published key, Graph
   * nonce headers included, `exp`/`nbf`). For in-process fakes such as the
   * fake Graph. Throws `TokenRejected`.
   */
  verifyToken(token: string): Promise<VerifiedToken> {
    return verifyIssuedToken(token, this.#context.keyring, { now: this.#context.clock() });
  }

  /**
   * Mints an access token directly, without a flow: realistic claims for the
   * options, then `claims`/`header` overrides. For tests of token validation
   * (wrong audience, expired, v1 issuer, Graph nonce, unknown kid, ...).
   *
   * @example
   * const expired = await standIn.mintAccessToken({ user: "alice", claims: { exp: 1 } });
   */
  async mintAccessToken(options: MintAccessTokenOptions = {}): Promise<string> {
    const tenant = (options.tenant ?? this.defaultTenant).toLowerCase();
    const resource = options.audience === undefined ? this.#firstApplication() : this.directory.resource(options.audience);
    if (resource === undefined) throw new Error(`Unknown audience '${options.audience}'.`);
    const client = options.clientId === undefined ? resource : this.#application(options.clientId);
    const tokens = this.#context.tokens;
    let minted: MintedToken;
    if (options.appOnly === true) {
      minted = await tokens.appOnly({ tenant, client, clientAuth: "client_secret_post", resource, requestedAs: options.audience ?? resource.clientId, roles: options.roles ?? [] });
    } else {
      const user = options.user === undefined ? this.directory.users(tenant)[0] : this.directory.user(options.user, tenant);
      if (user === undefined) throw new Error(`No dev user '${options.user ?? "(first)"}' in tenant ${tenant}.`);
      minted = await tokens.delegated({
        tenant,
        user,
        client,
        clientAuth: "client_secret_post",
        resource,
        requestedAs: options.audience ?? resource.clientId,
        scopes: options.scopes ?? [...resource.scopes].slice(0, 1),
        session: tokens.newSession(options.amr ?? ["pwd"]),
      });
    }
    const noOverrides = options.claims === undefined && options.header === undefined && (options.signingKey ?? "current") === "current";
    if (noOverrides) return minted.token;
    const claims: JwtClaims = { ...minted.claims };
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    const [encodedHeader] = minted.token.split(".");
    const original = JSON.parse(Buffer.from(encodedHeader!, "base64url").toString("utf8")) as JwtHeader;
    const { typ: _typ, alg: _alg, kid: _kid, ...kept } = original;
    const key = options.signingKey === "unpublished" ? await createSigningKey(this.#context.clock()) : undefined;
    return tokens.sign(claims, { ...kept, ...options.header }, key);
  }

  /**
   * A managed identity's token for `resource`, as the fake identity endpoint
   * serves it. `clientId` undefined means the system-assigned identity.
   * Throws when no such identity is configured.
   */
  async issueManagedIdentityToken(clientId: string | undefined, resource: string): Promise<{ identity: ManagedIdentity } & MintedToken> {
    const identity = this.directory.managedIdentity(clientId);
    if (identity === undefined) throw new Error(clientId === undefined ? "No system-assigned managed identity is configured." : `No managed identity with client id '${clientId}'.`);
    const normalised = resource.replace(/\/\.default$/, "");
    const registered = this.directory.resource(normalised);
    const roles = registered === undefined ? [] : this.directory.perResource(identity.appRoleAssignments ?? {}, registered).filter((role) => registered.appRoles.has(role));
    const minted = await this.#context.tokens.managedIdentity(identity, normalised, registered, roles);
    return { identity, ...minted };
  }

  /** Starts listening (again, on the same port after a {@link stop}). */
  async start(): Promise<void> {
    await this.#listener.start();
  }

  /** Stops listening and drops open connections: an outage, until {@link start}. */
  async stop(): Promise<void> {
    await this.#listener.stop();
  }

  /** Stops for good (same as {@link stop}; named for `after()` hooks). */
  async close(): Promise<void> {
    await this.#listener.stop();
  }

  #application(clientId: string): Application {
    const app = this.directory.application(clientId);
    if (app === undefined) throw new Error(`No application '${clientId}'.`);
    return app;
  }

  #firstApplication(): Application {
    const first = [...this.directory.applications.values()].find((app) => !app.isGraph);
    if (first === undefined) throw new Error("No application is configured.");
    return first;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    this.#route(request, response).catch((error: unknown) => {
      // A bug in the stand-in must look like an Entra outage, not hang the client.
      console.error("entra stand-in: unexpected error", error);
      if (!response.headersSent) sendJson(response, 500, { error: "server_error", error_description: "AADSTS50000: local stand-in internal error" });
      else response.destroy();
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const context = this.#context;
    const path = new URL(request.url ?? "/", this.origin).pathname;
    const segments = path.split("/").filter((segment) => segment !== "");
    const [tenant, ...rest] = segments;
    const tail = rest.join("/");

    if (tenant === undefined) {
      sendHtml(response, 200, this.#indexPage());
      return;
    }
    if (tenant === DEV_SWITCHES_SEGMENT) return handleDevSwitch(this, rest.join("/"), request, response);
    if (tail === "oauth2/v2.0/token") return handleToken(context, tenant, request, response);
    if (tail === "oauth2/v2.0/authorize") return handleAuthorize(context, tenant, request, response);

    const known = tail === "v2.0/.well-known/openid-configuration" || tail === "discovery/v2.0/keys" || tail === "discovery/keys" || tail === "oauth2/v2.0/logout";
    const record = this.activity.begin({
      at: context.clock(),
      endpoint: tail.startsWith("v2.0/.well-known") ? "discovery" : tail.startsWith("discovery/") ? "jwks" : "other",
      method: request.method ?? "GET",
      tenant,
      status: 0,
      resourceParameter: false,
      claimsParameter: false,
    });
    if (!known) {
      record.status = 404;
      sendJson(response, 404, { error: "not_found", error_description: `The local Entra stand-in has no endpoint ${path}.` });
      return;
    }
    let scope: TenantScope;
    try {
      scope = resolveTenantSegment(this.directory, tenant);
    } catch (error) {
      if (!(error instanceof EntraError)) throw error;
      record.status = 400;
      record.error = `AADSTS${error.code}`;
      sendJson(response, 400, { error: "invalid_tenant", error_description: `AADSTS${error.code}: ${error.detail}`, error_codes: [error.code] });
      return;
    }
    if (tail === "v2.0/.well-known/openid-configuration") return handleDiscovery(context, scope, request, response, record);
    if (tail.startsWith("discovery/")) return handleJwks(context, scope, request, response, record);
    // Logout: there is no session to end; honour the redirect like Entra.
    const redirectTo = new URL(request.url ?? "/", this.origin).searchParams.get("post_logout_redirect_uri");
    record.status = redirectTo === null ? 200 : 302;
    if (redirectTo !== null) {
      response.writeHead(302, { Location: redirectTo });
      response.end();
    } else sendHtml(response, 200, "<!doctype html><title>Signed out</title><p>You signed out of the local Entra stand-in.</p>");
  }

  #indexPage(): string {
    const tenants = [...this.directory.tenants.values()]
      .map(
        (tenant) =>
          `<h2>${escapeHtml(tenant.displayName)} <code>${tenant.id}</code></h2><ul>${tenant.users
            .map((user) => `<li>${escapeHtml(user.displayName)} &lt;${escapeHtml(user.upn)}&gt; alias <code>${escapeHtml(user.alias)}</code></li>`)
            .join("")}</ul><p>Discovery: <a href="/${tenant.id}/v2.0/.well-known/openid-configuration">/${tenant.id}/v2.0/.well-known/openid-configuration</a></p>`,
      )
      .join("");
    const apps = [...this.directory.applications.values()]
      .filter((app) => !app.isGraph)
      .map((app) => `<li>${escapeHtml(app.displayName)} <code>${app.clientId}</code> ${app.identifierUris.map((uri) => `<code>${escapeHtml(uri)}</code>`).join(" ")}</li>`)
      .join("");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local Entra stand-in</title></head><body><h1>Local Entra ID stand-in</h1>${tenants}<h2>Applications</h2><ul>${apps}</ul></body></html>`;
  }
}

/**
 * Starts an Entra stand-in and resolves once it listens.
 *
 * @example
 * const entra = await startEntraStandIn(defaultEntraStandInOptions());
 * const msal = new ConfidentialClientApplication({ auth: { clientId, clientSecret, ...msalAuthorityOptions(entra) } });
 * // ...
 * await entra.close();
 */
export async function startEntraStandIn(options: EntraStandInOptions): Promise<EntraStandIn> {
  const clock = options.clock ?? Date.now;
  const [keyring, tls] = await Promise.all([SigningKeyring.create(clock), options.tls === undefined ? ensureDevTls() : Promise.resolve(options.tls)]);
  const standIn = new EntraStandIn(options, keyring, { cert: tls.cert, key: tls.key });
  await standIn.start();
  return standIn;
}
