/**
 * The default local directory: used by `npm start` and by tests that do not
 * need their own. Every id here is made up and works only against the local
 * stand-ins; the secret is for local use only (it is in the repository).
 *
 * Import what you need:
 *
 *   import { DEV_TENANT_ID, KIT_APP, defaultEntraStandInOptions } from "../dev/defaults.js";
 */
import type { EntraStandInOptions } from "./entra/stand-in.js";
import type { AppRegistrationConfig, DevUserConfig, ManagedIdentityConfig, TenantConfig } from "./entra/types.js";
import { GRAPH_RESOURCE, TOKEN_EXCHANGE_AUDIENCE } from "./entra/directory.js";

/** The dev tenant (Contoso). */
export const DEV_TENANT_ID = "11111111-1111-1111-1111-111111111111";
/** A second tenant (Fabrikam), for multi-tenant and allow-list tests; the kit app is not registered there. */
export const OTHER_TENANT_ID = "22222222-2222-2222-2222-222222222222";

/** Ports `npm start` uses for the stand-ins (tests use free ports). */
export const DEV_PORTS = { entra: 7443, graph: 7444, managedIdentity: 7445, demoMcp: 7446 } as const;

export const DEV_USERS = {
  alice: {
    alias: "alice",
    displayName: "Alice Example",
    givenName: "Alice",
    surname: "Example",
    upn: "alice@contoso.example",
    oid: "a11ce000-0000-4000-8000-000000000001",
    roles: ["Tools.Admin"],
    groups: ["9a0e1d2c-0000-4000-8000-0000000000a1"],
    password: "alice-dev-password",
    jobTitle: "Platform Engineer",
  },
  bob: {
    alias: "bob",
    displayName: "Bob Example",
    givenName: "Bob",
    surname: "Example",
    upn: "bob@contoso.example",
    oid: "b0b00000-0000-4000-8000-000000000002",
    password: "bob-dev-password",
    jobTitle: "Analyst",
  },
  carol: {
    alias: "carol",
    displayName: "Carol Outsider",
    givenName: "Carol",
    surname: "Outsider",
    upn: "carol@fabrikam.example",
    oid: "ca201000-0000-4000-8000-000000000003",
    password: "carol-dev-password",
  },
} as const satisfies Record<string, DevUserConfig>;

/** The kit's own app registration (the MCP server's API and its confidential client). */
export const KIT_CLIENT_ID = "c0ffee00-0000-4000-8000-00000000c0de";
export const KIT_IDENTIFIER_URI = `api://${KIT_CLIENT_ID}`;
/** The kit's delegated scope. */
export const KIT_SCOPE = "mcp.access";
/** `api://<kit>/mcp.access`. */
export const KIT_SCOPE_URI = `${KIT_IDENTIFIER_URI}/${KIT_SCOPE}`;
/** Local-only client secret of the kit app (for `npm start`; never used in Azure). */
export const KIT_DEV_CLIENT_SECRET = "local-dev-only-kit-secret";
/** The kit's callback on the local host (the port is ignored for loopback redirect URIs, as in Entra). */
export const KIT_REDIRECT_URI = "http://localhost:7071/auth/callback";

/** Visual Studio Code's public client id, pre-authorized on the kit app as in Azure. */
export const VSCODE_CLIENT_ID = "aebc6443-996d-45c2-90f0-388ff96faa56";

/** The custom downstream API (served by the fake Graph server at /api/orders). */
export const ORDERS_CLIENT_ID = "0de75000-0000-4000-8000-0000000000de";
export const ORDERS_IDENTIFIER_URI = "api://contoso-orders";
export const ORDERS_SCOPE = "Orders.Read";
export const ORDERS_SCOPE_URI = `${ORDERS_IDENTIFIER_URI}/${ORDERS_SCOPE}`;
/** The demo downstream MCP server (dev/demo-mcp), which the kit reaches through its gateway. */
export const DEMO_MCP_CLIENT_ID = "de30de30-0000-4000-8000-0000000000d3";
export const DEMO_MCP_IDENTIFIER_URI = "api://contoso-demo-mcp";
export const DEMO_MCP_SCOPE = "Demo.Read";
export const DEMO_MCP_SCOPE_URI = `${DEMO_MCP_IDENTIFIER_URI}/${DEMO_MCP_SCOPE}`;
/** Graph's User.Read, as the kit asks for it. */
export const GRAPH_USER_READ = `${GRAPH_RESOURCE}/User.Read`;

/** The user-assigned identity used only as the kit app's federated credential (secretless OBO). */
export const FIC_IDENTITY = {
  clientId: "f1c00000-0000-4000-8000-0000000000f1",
  principalId: "f1c0beef-0000-4000-8000-0000000000f1",
  displayName: "id-mcp-kit-fic",
} as const satisfies ManagedIdentityConfig;

/** The runtime identity (Key Vault, storage); also answers system-assigned requests locally. */
export const RUNTIME_IDENTITY = {
  clientId: "9e0e0000-0000-4000-8000-0000000000e1",
  principalId: "9e0ebeef-0000-4000-8000-0000000000e1",
  displayName: "id-mcp-kit-runtime",
  systemAssigned: true,
} as const satisfies ManagedIdentityConfig;

/**
 * The federated credential issuer for identities of the dev tenant.
 * `{origin}` stands for the stand-in's `https://localhost:<port>`, known only once it runs.
 */
export const DEV_FIC_ISSUER = `{origin}/${DEV_TENANT_ID}/v2.0`;

export const DEV_TENANTS: readonly TenantConfig[] = [
  { id: DEV_TENANT_ID, displayName: "Contoso (dev)", domain: "contoso.example", users: [DEV_USERS.alice, DEV_USERS.bob] },
  { id: OTHER_TENANT_ID, displayName: "Fabrikam (dev)", domain: "fabrikam.example", users: [DEV_USERS.carol] },
];

export const KIT_APP: AppRegistrationConfig = {
  clientId: KIT_CLIENT_ID,
  displayName: "MCP Functions Kit (local)",
  homeTenant: DEV_TENANT_ID,
  identifierUris: [KIT_IDENTIFIER_URI],
  scopes: [KIT_SCOPE],
  appRoles: ["Tools.Admin", "Tools.Read"],
  redirectUris: [KIT_REDIRECT_URI],
  secrets: [KIT_DEV_CLIENT_SECRET],
  federatedCredentials: [{ name: "kit-fic", issuer: DEV_FIC_ISSUER, subject: FIC_IDENTITY.principalId, audiences: [TOKEN_EXCHANGE_AUDIENCE] }],
  preAuthorizedClients: [VSCODE_CLIENT_ID],
  requiredResourceAccess: { [GRAPH_RESOURCE]: ["User.Read"], [ORDERS_IDENTIFIER_URI]: [ORDERS_SCOPE], [DEMO_MCP_IDENTIFIER_URI]: [DEMO_MCP_SCOPE] },
  // An application permission, for tools calling the orders API as the kit itself (appToken()).
  appRoleAssignments: { [ORDERS_IDENTIFIER_URI]: ["Orders.Read.All"] },
  accessTokenVersion: 2,
};

export const VSCODE_APP: AppRegistrationConfig = {
  clientId: VSCODE_CLIENT_ID,
  displayName: "Visual Studio Code",
  homeTenant: DEV_TENANT_ID,
  multiTenant: true,
  publicClient: true,
  redirectUris: ["http://127.0.0.1/", "http://localhost/", "https://vscode.dev/redirect"],
};

export const ORDERS_APP: AppRegistrationConfig = {
  clientId: ORDERS_CLIENT_ID,
  displayName: "Contoso Orders API",
  homeTenant: DEV_TENANT_ID,
  identifierUris: [ORDERS_IDENTIFIER_URI],
  scopes: [ORDERS_SCOPE, "Orders.Write"],
  appRoles: ["Orders.Read.All"],
  accessTokenVersion: 2,
};

/** A daemon calling the kit with its own identity (client credentials), for app-only caller tests and demos. */
export const DAEMON_CLIENT_ID = "dae70000-0000-4000-8000-0000000000da";
/** Local-only client secret of the daemon. */
export const DAEMON_DEV_CLIENT_SECRET = "local-dev-only-daemon-secret";
/** The kit app role an administrator assigned to the daemon. */
export const DAEMON_KIT_ROLE = "Tools.Read";

export const DAEMON_APP: AppRegistrationConfig = {
  clientId: DAEMON_CLIENT_ID,
  displayName: "Nightly report (dev daemon)",
  homeTenant: DEV_TENANT_ID,
  secrets: [DAEMON_DEV_CLIENT_SECRET],
  appRoleAssignments: { [KIT_IDENTIFIER_URI]: [DAEMON_KIT_ROLE] },
};

export const DEMO_MCP_APP: AppRegistrationConfig = {
  clientId: DEMO_MCP_CLIENT_ID,
  displayName: "Contoso demo MCP server",
  homeTenant: DEV_TENANT_ID,
  identifierUris: [DEMO_MCP_IDENTIFIER_URI],
  scopes: [DEMO_MCP_SCOPE, "Demo.Write"],
  accessTokenVersion: 2,
};

export const DEV_APPLICATIONS: readonly AppRegistrationConfig[] = [KIT_APP, VSCODE_APP, ORDERS_APP, DAEMON_APP, DEMO_MCP_APP];
export const DEV_MANAGED_IDENTITIES: readonly ManagedIdentityConfig[] = [FIC_IDENTITY, RUNTIME_IDENTITY];

/** The stand-in options for the default directory; `overrides` replace top-level fields. */
export function defaultEntraStandInOptions(overrides: Partial<EntraStandInOptions> = {}): EntraStandInOptions {
  return { tenants: DEV_TENANTS, applications: DEV_APPLICATIONS, managedIdentities: DEV_MANAGED_IDENTITIES, ...overrides };
}
