/**
 * The stand-in's directory: tenants, users, applications (plus Microsoft
 * Graph, always present as in every real tenant) and managed identities,
 * normalised once with the lookups every endpoint needs.
 */
import { createHash } from "node:crypto";
import type { AppRegistrationConfig, DevUserConfig, FederatedCredentialConfig, ManagedIdentityConfig, TenantConfig } from "./types.js";

/** Microsoft Graph's well-known application id. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
/** Microsoft Graph's resource URI: the `aud` of Graph tokens. */
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
/** Audience of tokens exchanged for a federated identity credential. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Delegated Graph permissions the stand-in knows (enough for examples and tests). */
export const GRAPH_DELEGATED_SCOPES = [
  "User.Read",
  "User.ReadBasic.All",
  "User.Read.All",
  "Mail.Read",
  "Mail.Send",
  "Calendars.Read",
  "Files.Read",
  "Files.Read.All",
  "Sites.Read.All",
  "Group.Read.All",
  "email",
  "openid",
  "profile",
  "offline_access",
] as const;

/** Application Graph permissions the stand-in knows. */
export const GRAPH_APP_ROLES = ["User.Read.All", "Group.Read.All", "Mail.Read", "Sites.Read.All"] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a GUID in the 8-4-4-4-12 form. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A stable GUID derived from `seed`, for ids nobody configured (service principals, sessions). */
export function derivedGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface DevUser extends DevUserConfig {
  readonly tid: string;
}

export interface Tenant {
  readonly id: string;
  readonly displayName: string;
  /** Verified domain, accepted in place of the GUID in paths. */
  readonly domain?: string;
  readonly users: readonly DevUser[];
}

export interface Application {
  readonly clientId: string;
  readonly displayName: string;
  readonly homeTenant: string;
  readonly multiTenant: boolean;
  readonly identifierUris: readonly string[];
  readonly scopes: ReadonlySet<string>;
  readonly appRoles: ReadonlySet<string>;
  readonly redirectUris: readonly string[];
  readonly publicClient: boolean;
  readonly secrets: readonly string[];
  readonly certificates: readonly string[];
  readonly federatedCredentials: readonly FederatedCredentialConfig[];
  readonly preAuthorizedClients: ReadonlySet<string>;
  readonly requiredResourceAccess: Readonly<Record<string, readonly string[]>>;
  readonly adminConsented: boolean;
  readonly appRoleAssignments: Readonly<Record<string, readonly string[]>>;
  readonly accessTokenVersion: 1 | 2;
  readonly servicePrincipalId: string;
  /** Microsoft Graph: v1 tokens with a header `nonce`, like the real thing. */
  readonly isGraph: boolean;
}

export interface ManagedIdentity extends ManagedIdentityConfig {
  readonly tenant: string;
}

/** The audiences a resource app's tokens may name, most specific first. */
export function audienceFor(app: Application, requestedAs?: string): string {
  // v2 tokens always carry the client id; v1 tokens carry the identifier the client asked with.
  if (app.accessTokenVersion === 2) return app.clientId;
  if (requestedAs !== undefined && !isGuid(requestedAs)) return requestedAs;
  return app.identifierUris[0] ?? app.clientId;
}

function normaliseIdentifier(value: string): string {
  return value.replace(/\/+$/, "").toLowerCase();
}

/** Directory lookups. Everything is case-insensitive where Entra's are. */
export class Directory {
  readonly tenants: ReadonlyMap<string, Tenant>;
  readonly applications: ReadonlyMap<string, Application>;
  readonly managedIdentities: readonly ManagedIdentity[];
  /** Per tenant: users by lower-cased alias, upn and object id, the first user in directory order winning (as a scan would). */
  readonly #usersByKey = new Map<string, Map<string, DevUser>>();

  constructor(tenants: readonly TenantConfig[], apps: readonly AppRegistrationConfig[], identities: readonly ManagedIdentityConfig[] = []) {
    if (tenants.length === 0) throw new Error("The Entra stand-in needs at least one tenant.");
    const tenantMap = new Map<string, Tenant>();
    for (const tenant of tenants) {
      if (!isGuid(tenant.id)) throw new Error(`Tenant id '${tenant.id}' is not a GUID.`);
      tenantMap.set(tenant.id.toLowerCase(), {
        id: tenant.id.toLowerCase(),
        displayName: tenant.displayName ?? tenant.domain ?? tenant.id,
        ...(tenant.domain === undefined ? {} : { domain: tenant.domain.toLowerCase() }),
        users: tenant.users.map((user) => ({ ...user, oid: user.oid.toLowerCase(), tid: tenant.id.toLowerCase() })),
      });
    }
    this.tenants = tenantMap;
    // A lookup per token request must not scan the directory: the benchmark runs 10,000+ users through it.
    for (const tenant of tenantMap.values()) {
      const index = new Map<string, DevUser>();
      for (const user of tenant.users) for (const key of [user.alias.toLowerCase(), user.upn.toLowerCase(), user.oid]) if (!index.has(key)) index.set(key, user);
      this.#usersByKey.set(tenant.id, index);
    }
    const firstTenant = tenants[0]!.id.toLowerCase();

    const appMap = new Map<string, Application>();
    const graph: Application = {
      clientId: GRAPH_APP_ID,
      displayName: "Microsoft Graph",
      homeTenant: firstTenant,
      multiTenant: true,
      identifierUris: [GRAPH_RESOURCE, "https://graph.microsoft.com/", "https://canary.graph.microsoft.com"],
      scopes: new Set(GRAPH_DELEGATED_SCOPES),
      appRoles: new Set(GRAPH_APP_ROLES),
      redirectUris: [],
      publicClient: false,
      secrets: [],
      certificates: [],
      federatedCredentials: [],
      preAuthorizedClients: new Set(),
      requiredResourceAccess: {},
      adminConsented: false,
      appRoleAssignments: {},
      accessTokenVersion: 1,
      servicePrincipalId: derivedGuid(`sp:${GRAPH_APP_ID}`),
      isGraph: true,
    };
    appMap.set(GRAPH_APP_ID, graph);
    for (const config of apps) {
      if (!isGuid(config.clientId)) throw new Error(`Application '${config.displayName}' has a client id that is not a GUID: '${config.clientId}'.`);
      const clientId = config.clientId.toLowerCase();
      appMap.set(clientId, {
        clientId,
        displayName: config.displayName,
        homeTenant: (config.homeTenant ?? firstTenant).toLowerCase(),
        multiTenant: config.multiTenant ?? false,
        identifierUris: config.identifierUris ?? [],
        scopes: new Set(config.scopes ?? []),
        appRoles: new Set(config.appRoles ?? []),
        redirectUris: config.redirectUris ?? [],
        publicClient: config.publicClient ?? false,
        secrets: config.secrets ?? [],
        certificates: config.certificates ?? [],
        federatedCredentials: config.federatedCredentials ?? [],
        preAuthorizedClients: new Set((config.preAuthorizedClients ?? []).map((id) => id.toLowerCase())),
        requiredResourceAccess: config.requiredResourceAccess ?? {},
        adminConsented: config.adminConsented ?? false,
        appRoleAssignments: config.appRoleAssignments ?? {},
        accessTokenVersion: config.accessTokenVersion ?? 2,
        servicePrincipalId: (config.servicePrincipalId ?? derivedGuid(`sp:${clientId}`)).toLowerCase(),
        isGraph: false,
      });
    }
    this.applications = appMap;
    this.managedIdentities = identities.map((identity) => ({
      ...identity,
      clientId: identity.clientId.toLowerCase(),
      principalId: identity.principalId.toLowerCase(),
      tenant: (identity.tenant ?? firstTenant).toLowerCase(),
    }));
  }

  /** The tenant with this GUID, or undefined. */
  tenant(id: string): Tenant | undefined {
    return this.tenants.get(id.toLowerCase());
  }

  /** The application with this client id, or undefined. */
  application(clientId: string): Application | undefined {
    return this.applications.get(clientId.toLowerCase());
  }

  /** Whether `app` can be used in `tenantId` (its home tenant, or anywhere when multi-tenant). */
  visibleIn(app: Application, tenantId: string): boolean {
    return app.multiTenant || app.homeTenant === tenantId.toLowerCase();
  }

  /** The resource app named by a client id or an identifier URI (trailing slashes and case ignored). */
  resource(identifier: string): Application | undefined {
    const byId = this.application(identifier);
    if (byId !== undefined) return byId;
    const wanted = normaliseIdentifier(identifier);
    for (const app of this.applications.values()) {
      if (app.identifierUris.some((uri) => normaliseIdentifier(uri) === wanted)) return app;
    }
    return undefined;
  }

  /** Whether `identifier` names `app` (client id or identifier URI). */
  names(app: Application, identifier: string): boolean {
    return this.resource(identifier) === app;
  }

  /**
   * A user by alias, upn or object id; within one tenant, or across all
   * tenants (for `common` / `organizations`).
   */
  user(hint: string, tenantId?: string): DevUser | undefined {
    const wanted = hint.trim().toLowerCase();
    const tenants = tenantId === undefined ? [...this.tenants.values()] : [this.tenant(tenantId)].filter((t): t is Tenant => t !== undefined);
    for (const tenant of tenants) {
      const found = this.#usersByKey.get(tenant.id)?.get(wanted);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Users of a tenant, or of every tenant. */
  users(tenantId?: string): DevUser[] {
    if (tenantId === undefined) return [...this.tenants.values()].flatMap((tenant) => tenant.users);
    return [...(this.tenant(tenantId)?.users ?? [])];
  }

  /** A managed identity by client id, or the system-assigned one when `clientId` is undefined. */
  managedIdentity(clientId: string | undefined): ManagedIdentity | undefined {
    if (clientId === undefined) return this.managedIdentities.find((identity) => identity.systemAssigned === true);
    const wanted = clientId.toLowerCase();
    return this.managedIdentities.find((identity) => identity.clientId === wanted);
  }

  /** Entries of a per-resource map (identifier URI or client id keys) that name `resource`. */
  perResource(map: Readonly<Record<string, readonly string[]>>, resource: Application): string[] {
    return Object.entries(map)
      .filter(([key]) => this.names(resource, key))
      .flatMap(([, values]) => values);
  }
}
