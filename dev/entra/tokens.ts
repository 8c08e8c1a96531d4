/**
 * Token shapes, as Entra issues them:
 *
 * - v2 access tokens for APIs with `requestedAccessTokenVersion: 2` (the kit):
 *   `iss` `https://<stand-in>/{tid}/v2.0`, `aud` = the API's client id, `ver` "2.0",
 *   `azp`/`azpacr`, `scp` (delegated) or `roles` (app-only).
 * - v1 access tokens for APIs left at version 1: `iss` `https://sts.windows.net/{tid}/`,
 *   `aud` = the identifier URI asked for, `appid`/`appidacr`, `upn`, `unique_name`, `amr`.
 * - Microsoft Graph tokens: v1, plus a JWS header `nonce` (see jwt.ts).
 * - v2 ID tokens, and `client_info` (base64url `{"uid","utid"}`), which msal needs.
 *
 * Every user token records its sign-in session (auth methods, session id)
 * under its `uti`, so a later OBO exchange knows whether MFA was performed,
 * as Entra knows from its own session state.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type Application, type DevUser, type ManagedIdentity, audienceFor, GRAPH_APP_ID } from "./directory.js";
import type { SigningKey, SigningKeyring } from "./keys.js";
import { signJwt, type JwtClaims, type JwtHeader } from "./jwt.js";

/** How the client authenticated: `azpacr` / `appidacr` ("0" public, "1" secret, "2" certificate or assertion). */
export type ClientAuthMethod = "none" | "client_secret_post" | "client_secret_basic" | "certificate" | "federated";

/** The `azpacr`/`appidacr` value for a client authentication method. */
export function authContextClassReference(method: ClientAuthMethod): "0" | "1" | "2" {
  if (method === "none") return "0";
  if (method === "client_secret_post" || method === "client_secret_basic") return "1";
  return "2";
}

/** What the user did at sign-in; travels with codes, refresh tokens and (by `uti`) access tokens. */
export interface UserSession {
  /** Authentication methods, e.g. ["pwd"] or ["pwd", "mfa"]. */
  readonly amr: readonly string[];
  /** Session id (`sid`). */
  readonly sid: string;
  /** Epoch seconds of the interactive sign-in. */
  readonly authTime: number;
}

export interface TokenFactoryOptions {
  readonly keyring: SigningKeyring;
  readonly clock: () => number;
  /** Lifetime of access and ID tokens, seconds. */
  readonly accessTokenLifetime: () => number;
  /** `https://localhost:<port>`, read when a token is minted (the port is known only after start). */
  readonly origin: () => string;
}

export interface DelegatedTokenInput {
  readonly tenant: string;
  readonly user: DevUser;
  readonly client: Application;
  readonly clientAuth: ClientAuthMethod;
  readonly resource: Application;
  /** Identifier the client used for the resource (decides `aud` of v1 tokens). */
  readonly requestedAs?: string;
  /** Scope names for `scp`. */
  readonly scopes: readonly string[];
  readonly session: UserSession;
}

export interface AppTokenInput {
  readonly tenant: string;
  readonly client: Application;
  readonly clientAuth: ClientAuthMethod;
  readonly resource: Application;
  readonly requestedAs?: string;
  readonly roles: readonly string[];
}

export interface MintedToken {
  readonly token: string;
  readonly claims: JwtClaims;
  readonly expiresIn: number;
}

const SESSION_MEMORY = 100_000;

/** Opaque-looking random strings Entra puts in `aio`, `rh`, `uti`. */
function opaque(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/** Entra's `sub` is pairwise: stable for a user and an application, different across applications. */
export function pairwiseSubject(tenant: string, oid: string, appId: string): string {
  return createHash("sha256").update(`${tenant}|${oid}|${appId}`).digest("base64url").slice(0, 43);
}

/** Mints every kind of token the stand-in issues, signed with the current key. */
export class TokenFactory {
  readonly #sessions = new Map<string, UserSession>();

  constructor(private readonly options: TokenFactoryOptions) {}

  /** The v2 issuer of a tenant at this stand-in. */
  v2Issuer(tenant: string): string {
    return `${this.options.origin()}/${tenant}/v2.0`;
  }

  /** The v1 issuer of a tenant, as in every Entra v1 token of the public cloud. */
  v1Issuer(tenant: string): string {
    return `https://sts.windows.net/${tenant}/`;
  }

  /** The session a token was issued for, by its `uti`. */
  sessionOf(uti: unknown): UserSession | undefined {
    return typeof uti === "string" ? this.#sessions.get(uti) : undefined;
  }

  #times(): { iat: number; nbf: number; exp: number; lifetime: number } {
    const now = Math.floor(this.options.clock() / 1000);
    const lifetime = this.options.accessTokenLifetime();
    // Entra back-dates nbf/iat by five minutes to absorb clock skew.
    return { iat: now - 300, nbf: now - 300, exp: now + lifetime, lifetime };
  }

  #remember(uti: string, session: UserSession): void {
    this.#sessions.set(uti, session);
    if (this.#sessions.size > SESSION_MEMORY) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  async #sign(claims: JwtClaims, header: JwtHeader, key?: SigningKey): Promise<string> {
    const signing = key ?? this.options.keyring.current;
    return signJwt(signing, claims, { ...header, kid: signing.kid });
  }

  #x5t(key?: SigningKey): JwtHeader {
    return { x5t: (key ?? this.options.keyring.current).x5t };
  }

  /** A user (delegated) access token for `resource`. */
  async delegated(input: DelegatedTokenInput): Promise<MintedToken> {
    const { iat, nbf, exp, lifetime } = this.#times();
    const { user, client, resource, tenant } = input;
    const uti = opaque(16);
    const roles = (user.roles ?? []).filter((role) => resource.appRoles.has(role));
    const groups = user.groups ?? [];
    const scp = input.scopes.join(" ");
    let claims: JwtClaims;
    let header: JwtHeader = {};
    if (resource.accessTokenVersion === 2) {
      claims = {
        aud: audienceFor(resource, input.requestedAs),
        iss: this.v2Issuer(tenant),
        iat,
        nbf,
        exp,
        aio: opaque(48),
        azp: client.clientId,
        azpacr: authContextClassReference(input.clientAuth),
        ...(groups.length > 0 ? { groups: [...groups] } : {}),
        name: user.displayName,
        oid: user.oid,
        preferred_username: user.upn,
        rh: `0.A${opaque(40)}.`,
        ...(roles.length > 0 ? { roles } : {}),
        scp,
        sid: input.session.sid,
        sub: pairwiseSubject(tenant, user.oid, resource.clientId),
        tid: tenant,
        uti,
        ver: "2.0",
      };
    } else {
      claims = {
        aud: audienceFor(resource, input.requestedAs),
        iss: this.v1Issuer(tenant),
        iat,
        nbf,
        exp,
        acct: 0,
        acr: "1",
        aio: opaque(48),
        amr: [...input.session.amr],
        app_displayname: client.displayName,
        appid: client.clientId,
        appidacr: authContextClassReference(input.clientAuth),
        family_name: user.surname ?? user.displayName.split(" ").slice(1).join(" "),
        given_name: user.givenName ?? user.displayName.split(" ")[0] ?? user.displayName,
        ...(groups.length > 0 ? { groups: [...groups] } : {}),
        idtyp: "user",
        ipaddr: "127.0.0.1",
        name: user.displayName,
        oid: user.oid,
        platf: "3",
        rh: `0.A${opaque(40)}.`,
        ...(roles.length > 0 ? { roles } : {}),
        scp,
        sid: input.session.sid,
        sub: pairwiseSubject(tenant, user.oid, resource.clientId),
        tenant_region_scope: "EU",
        tid: tenant,
        unique_name: user.upn,
        upn: user.upn,
        uti,
        ver: "1.0",
        wids: ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
        xms_tcdt: 1_600_000_000,
      };
      header = this.#x5t();
      if (resource.clientId === GRAPH_APP_ID) header = { nonce: opaque(32), ...header };
    }
    this.#remember(uti, input.session);
    return { token: await this.#sign(claims, header), claims, expiresIn: lifetime };
  }

  /** An app-only access token (client credentials) for `resource`. */
  async appOnly(input: AppTokenInput): Promise<MintedToken> {
    const { iat, nbf, exp, lifetime } = this.#times();
    const { client, resource, tenant } = input;
    const common = { iat, nbf, exp, aio: opaque(48) };
    const roles = input.roles.length > 0 ? { roles: [...input.roles] } : {};
    const claims: JwtClaims =
      resource.accessTokenVersion === 2
        ? {
            aud: audienceFor(resource, input.requestedAs),
            iss: this.v2Issuer(tenant),
            ...common,
            azp: client.clientId,
            azpacr: authContextClassReference(input.clientAuth),
            oid: client.servicePrincipalId,
            rh: `0.A${opaque(40)}.`,
            ...roles,
            sub: client.servicePrincipalId,
            tid: tenant,
            uti: opaque(16),
            ver: "2.0",
          }
        : {
            aud: audienceFor(resource, input.requestedAs),
            iss: this.v1Issuer(tenant),
            ...common,
            app_displayname: client.displayName,
            appid: client.clientId,
            appidacr: authContextClassReference(input.clientAuth),
            idp: this.v1Issuer(tenant),
            idtyp: "app",
            oid: client.servicePrincipalId,
            rh: `0.A${opaque(40)}.`,
            ...roles,
            sub: client.servicePrincipalId,
            tid: tenant,
            uti: opaque(16),
            ver: "1.0",
          };
    const header = resource.accessTokenVersion === 2 ? {} : resource.clientId === GRAPH_APP_ID ? { nonce: opaque(32), ...this.#x5t() } : this.#x5t();
    return { token: await this.#sign(claims, header), claims, expiresIn: lifetime };
  }

  /**
   * A managed identity's token for `resource` (a URI such as
   * `api://AzureADTokenExchange` or `https://vault.azure.net`, or a registered app).
   */
  async managedIdentity(identity: ManagedIdentity, resource: string, registered: Application | undefined, roles: readonly string[]): Promise<MintedToken> {
    const { iat, nbf, exp, lifetime } = this.#times();
    const tenant = identity.tenant;
    const mirid = `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/local/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identity.displayName ?? identity.clientId}`;
    const v2 = registered === undefined ? resource.startsWith("api://") : registered.accessTokenVersion === 2;
    const claims: JwtClaims = v2
      ? {
          aud: registered === undefined ? resource : audienceFor(registered, resource),
          iss: this.v2Issuer(tenant),
          iat,
          nbf,
          exp,
          aio: opaque(48),
          azp: identity.clientId,
          azpacr: "2",
          idtyp: "app",
          oid: identity.principalId,
          rh: `0.A${opaque(40)}.`,
          ...(roles.length > 0 ? { roles: [...roles] } : {}),
          sub: identity.principalId,
          tid: tenant,
          uti: opaque(16),
          ver: "2.0",
          xms_mirid: mirid,
        }
      : {
          aud: registered === undefined ? resource : audienceFor(registered, resource),
          iss: this.v1Issuer(tenant),
          iat,
          nbf,
          exp,
          aio: opaque(48),
          appid: identity.clientId,
          appidacr: "2",
          idp: this.v1Issuer(tenant),
          idtyp: "app",
          oid: identity.principalId,
          rh: `0.A${opaque(40)}.`,
          ...(roles.length > 0 ? { roles: [...roles] } : {}),
          sub: identity.principalId,
          tid: tenant,
          uti: opaque(16),
          ver: "1.0",
          xms_mirid: mirid,
        };
    return { token: await this.#sign(claims, v2 ? {} : this.#x5t()), claims, expiresIn: lifetime };
  }

  /** A v2 ID token for `client`. `scopes` decide `email` and the profile claims. */
  async idToken(input: {
    tenant: string;
    user: DevUser;
    client: Application;
    session: UserSession;
    nonce?: string;
    oidc: ReadonlySet<string>;
  }): Promise<string> {
    const { iat, nbf, exp } = this.#times();
    const { user, client, tenant } = input;
    const profile = input.oidc.has("profile");
    const claims: JwtClaims = {
      aud: client.clientId,
      iss: this.v2Issuer(tenant),
      iat,
      nbf,
      exp,
      aio: opaque(48),
      ...(input.oidc.has("email") ? { email: user.mail ?? user.upn } : {}),
      ...(profile ? { name: user.displayName } : {}),
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
      oid: user.oid,
      ...(profile ? { preferred_username: user.upn } : {}),
      rh: `0.A${opaque(40)}.`,
      sid: input.session.sid,
      sub: pairwiseSubject(tenant, user.oid, client.clientId),
      tid: tenant,
      uti: opaque(16),
      ver: "2.0",
    };
    return this.#sign(claims, {});
  }

  /** msal's `client_info`: base64url JSON with the user's oid and tenant. */
  clientInfo(user: DevUser): string {
    return Buffer.from(JSON.stringify({ uid: user.oid, utid: user.tid })).toString("base64url");
  }

  /**
   * Signs arbitrary claims with the current key (or `key`), for tests that need
   * tokens no flow would produce (wrong audience, expired, v1 issuer, ...).
   */
  async sign(claims: JwtClaims, header: JwtHeader = {}, key?: SigningKey): Promise<string> {
    return this.#sign(claims, header, key);
  }

  /** A fresh sign-in session. */
  newSession(amr: readonly string[]): UserSession {
    return { amr, sid: randomUUID(), authTime: Math.floor(this.options.clock() / 1000) };
  }
}
