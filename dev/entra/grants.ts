/**
 * Server-side state Entra keeps and the stand-in imitates: authorization
 * codes (single use, short-lived, bound to client, redirect URI and PKCE
 * challenge), refresh tokens (opaque, long-lived, bound to the client, and
 * NOT single use: redeeming one again keeps working, as in Entra), and
 * consent grants.
 */
import { randomBytes } from "node:crypto";
import type { Application, DevUser, Directory } from "./directory.js";
import type { ConsentMode } from "./types.js";
import type { UserSession } from "./tokens.js";

export interface CodeGrant {
  readonly tenant: string;
  readonly user: DevUser;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  /** Scope string of the authorization request. */
  readonly scope: string;
  readonly nonce?: string;
  readonly session: UserSession;
  /** Epoch ms. */
  readonly expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant {
  readonly tenant: string;
  readonly user: DevUser;
  readonly clientId: string;
  readonly session: UserSession;
  readonly expiresAt: number;
  revoked: boolean;
}

const CODE_LIFETIME_MS = 10 * 60_000;
const REFRESH_LIFETIME_MS = 90 * 86_400_000;
const REFRESH_MEMORY = 100_000;

function opaqueGrant(prefix: string): string {
  // Entra's codes and refresh tokens are long opaque strings; so are these.
  return `${prefix}${randomBytes(64).toString("base64url")}`;
}

/** Authorization codes and refresh tokens, in memory. */
export class GrantStore {
  readonly #codes = new Map<string, CodeGrant>();
  readonly #refresh = new Map<string, RefreshGrant>();

  constructor(private readonly clock: () => number) {}

  issueCode(grant: Omit<CodeGrant, "expiresAt" | "redeemed">): string {
    this.#purgeCodes();
    const code = opaqueGrant("1.AQ");
    this.#codes.set(code, { ...grant, expiresAt: this.clock() + CODE_LIFETIME_MS, redeemed: false });
    return code;
  }

  /** The code's grant without using it up (for fault matching and records). */
  peekCode(code: string): CodeGrant | undefined {
    return this.#codes.get(code);
  }

  issueRefreshToken(grant: Omit<RefreshGrant, "expiresAt" | "revoked">): string {
    const token = opaqueGrant("1.AR");
    this.#refresh.set(token, { ...grant, expiresAt: this.clock() + REFRESH_LIFETIME_MS, revoked: false });
    if (this.#refresh.size > REFRESH_MEMORY) {
      const oldest = this.#refresh.keys().next().value;
      if (oldest !== undefined) this.#refresh.delete(oldest);
    }
    return token;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    return this.#refresh.get(token);
  }

  /** Revokes refresh tokens (of one user, or all): the next redemption fails with AADSTS70008. */
  revokeRefreshTokens(userOid?: string): number {
    let revoked = 0;
    for (const grant of this.#refresh.values()) {
      if (userOid === undefined || grant.user.oid === userOid.toLowerCase()) {
        grant.revoked = true;
        revoked++;
      }
    }
    return revoked;
  }

  #purgeCodes(): void {
    const now = this.clock();
    // Redeemed codes are kept until they expire, so a replay still gets AADSTS54005.
    for (const [code, grant] of this.#codes) if (grant.expiresAt < now) this.#codes.delete(code);
  }
}

/**
 * Who consented to which client acting on which resource's scopes, and which
 * consents a user withdrew (as in My Apps): a withdrawn scope is refused in
 * either consent mode until the user consents again at a sign-in.
 */
export class ConsentStore {
  readonly #granted = new Map<string, Set<string>>();
  readonly #withdrawn = new Map<string, Set<string>>();

  constructor(
    private readonly directory: Directory,
    public mode: ConsentMode,
  ) {}

  #key(tenant: string, userOid: string, clientId: string, resourceId: string): string {
    return `${tenant}|${userOid}|${clientId}|${resourceId}`.toLowerCase();
  }

  /** Records the user's consent for `names` of `resource` to `client`. */
  grant(tenant: string, user: DevUser, client: Application, resource: Application, names: readonly string[]): void {
    const key = this.#key(tenant, user.oid, client.clientId, resource.clientId);
    const set = this.#granted.get(key) ?? new Set<string>();
    for (const name of names) {
      set.add(name.toLowerCase());
      this.#withdrawn.get(key)?.delete(name.toLowerCase());
    }
    this.#granted.set(key, set);
  }

  /** Withdraws the user's consent for `names` of `resource` to `client`, in either mode, until granted again. */
  withdraw(tenant: string, user: DevUser, client: Application, resource: Application, names: readonly string[]): void {
    const key = this.#key(tenant, user.oid, client.clientId, resource.clientId);
    const set = this.#withdrawn.get(key) ?? new Set<string>();
    for (const name of names) {
      set.add(name.toLowerCase());
      this.#granted.get(key)?.delete(name.toLowerCase());
    }
    this.#withdrawn.set(key, set);
  }

  /** Forgets consents (of one user, or all). */
  revoke(userOid?: string): void {
    if (userOid === undefined) this.#granted.clear();
    else for (const key of [...this.#granted.keys()]) if (key.split("|")[1] === userOid.toLowerCase()) this.#granted.delete(key);
  }

  /** Whether `client` may act for `user` on `name` of `resource`. */
  has(tenant: string, user: DevUser, client: Application, resource: Application, name: string): boolean {
    if (this.#withdrawn.get(this.#key(tenant, user.oid, client.clientId, resource.clientId))?.has(name.toLowerCase()) === true) return false;
    if (this.mode === "automatic") return true;
    if (resource.preAuthorizedClients.has(client.clientId)) return true;
    if (client.adminConsented && this.directory.perResource(client.requiredResourceAccess, resource).some((declared) => declared.toLowerCase() === name.toLowerCase())) return true;
    return this.#granted.get(this.#key(tenant, user.oid, client.clientId, resource.clientId))?.has(name.toLowerCase()) ?? false;
  }

  /** The consented subset of `names`; `.default` is expanded by the caller first. */
  filter(tenant: string, user: DevUser, client: Application, resource: Application, names: readonly string[]): string[] {
    return names.filter((name) => this.has(tenant, user, client, resource, name));
  }
}
