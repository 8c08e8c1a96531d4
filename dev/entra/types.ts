/**
 * What the Entra stand-in is configured with: tenants, their dev users, and
 * application registrations. Plain data, so `dev/defaults.ts` and tests can
 * declare a directory in a few lines.
 */

/** A user who can sign in at the stand-in. */
export interface DevUserConfig {
  /** Short name accepted by `login_hint` and the token script, e.g. "alice". */
  readonly alias: string;
  /** `name` claim and Graph `displayName`, e.g. "Alice Example". */
  readonly displayName: string;
  /** `preferred_username` / `upn`, e.g. "alice@contoso.example". */
  readonly upn: string;
  /** Object id (GUID): `oid` claim and Graph `id`. */
  readonly oid: string;
  /**
   * App role values assigned to the user. A token carries the ones its
   * audience application defines (`appRoles`), as with app role assignments.
   */
  readonly roles?: readonly string[];
  /** Group object ids: the `groups` claim, present when non-empty. */
  readonly groups?: readonly string[];
  /** Needed for the password (ROPC) grant; the sign-in page never asks for it. */
  readonly password?: string;
  /** Graph `mail`; default: the upn. */
  readonly mail?: string;
  readonly givenName?: string;
  readonly surname?: string;
  readonly jobTitle?: string;
}

/** A tenant (directory). */
export interface TenantConfig {
  /** Tenant id (GUID): `tid` claim and the issuer path. */
  readonly id: string;
  /** Display name shown on the sign-in page. */
  readonly displayName?: string;
  /** Verified domain (informational, e.g. "contoso.example"). */
  readonly domain?: string;
  readonly users: readonly DevUserConfig[];
}

/** A federated identity credential on an application (workload identity federation). */
export interface FederatedCredentialConfig {
  /** Exact `iss` of the presented assertion. */
  readonly issuer: string;
  /** Exact `sub` of the presented assertion. */
  readonly subject: string;
  /** Accepted `aud` values; Entra uses `api://AzureADTokenExchange`. */
  readonly audiences: readonly string[];
  readonly name?: string;
}

/** An application registration (and its service principal). */
export interface AppRegistrationConfig {
  /** Application (client) id, a GUID. */
  readonly clientId: string;
  readonly displayName: string;
  /** Tenant that owns the registration; default: the first tenant. */
  readonly homeTenant?: string;
  /** `signInAudience: AzureADMultipleOrgs`: users of every configured tenant may sign in. */
  readonly multiTenant?: boolean;
  /** Application ID URIs, e.g. `api://<clientId>`. */
  readonly identifierUris?: readonly string[];
  /** Delegated scopes this app exposes as an API (`oauth2PermissionScopes` values), e.g. "mcp.access". */
  readonly scopes?: readonly string[];
  /** App role values this app defines (for users and for applications). */
  readonly appRoles?: readonly string[];
  /** Registered redirect URIs, matched exactly (Entra ignores only the port of loopback `http` URIs). */
  readonly redirectUris?: readonly string[];
  /** A public client (desktop, CLI, VS Code): no credential at the token endpoint, and none accepted. */
  readonly publicClient?: boolean;
  /** Client secrets accepted (client_secret_post or client_secret_basic). */
  readonly secrets?: readonly string[];
  /** PEM X.509 certificates whose keys may sign client assertions (matched by x5t / x5t#S256). */
  readonly certificates?: readonly string[];
  readonly federatedCredentials?: readonly FederatedCredentialConfig[];
  /** Client ids pre-authorized for all of this API's scopes: no consent needed. */
  readonly preAuthorizedClients?: readonly string[];
  /**
   * Delegated permissions the registration declares, per resource (identifier URI
   * or client id), e.g. `{ "https://graph.microsoft.com": ["User.Read"] }`.
   * Used for `<resource>/.default` and for admin consent.
   */
  readonly requiredResourceAccess?: Readonly<Record<string, readonly string[]>>;
  /** Admin consent granted for everything in `requiredResourceAccess`, for every user. */
  readonly adminConsented?: boolean;
  /**
   * Application permissions (app roles) granted to this app, per resource
   * (identifier URI or client id): the `roles` of its client_credentials tokens.
   */
  readonly appRoleAssignments?: Readonly<Record<string, readonly string[]>>;
  /** `requestedAccessTokenVersion` of this API; default 2. Version 1 tokens have the sts.windows.net issuer. */
  readonly accessTokenVersion?: 1 | 2;
  /** Service principal object id: `oid`/`sub` of the app's own app-only tokens; default derived from clientId. */
  readonly servicePrincipalId?: string;
}

/** A managed identity known to the stand-in (issued tokens through the fake identity endpoint). */
export interface ManagedIdentityConfig {
  /** Client id of the (user-assigned) identity. */
  readonly clientId: string;
  /** Principal (object) id: `oid` and `sub` of its tokens. */
  readonly principalId: string;
  readonly tenant?: string;
  readonly displayName?: string;
  /** Answers requests that name no client id (a system-assigned identity). */
  readonly systemAssigned?: boolean;
  /** App roles granted to the identity, per resource (identifier URI or client id). */
  readonly appRoleAssignments?: Readonly<Record<string, readonly string[]>>;
}

/**
 * How consent works.
 * - `automatic` (default): every requested scope counts as consented.
 * - `explicit`: only scopes granted at a sign-in (`/authorize`), by
 *   `grantConsent()`, by admin consent or by pre-authorization count; a
 *   refresh, password or OBO request for anything else fails with AADSTS65001,
 *   as Entra does.
 */
export type ConsentMode = "automatic" | "explicit";
