/**
 * Starts the local stand-ins together (Entra, the fake Graph / orders API,
 * the fake managed identity endpoint, the demo downstream MCP server) with the default directory, for
 * `npm start` and the standalone CLI.
 */
import { DEMO_MCP_IDENTIFIER_URI, DEMO_MCP_SCOPE, DEV_PORTS, DEV_TENANT_ID, DEV_USERS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, KIT_SCOPE_URI, VSCODE_CLIENT_ID, defaultEntraStandInOptions, FIC_IDENTITY } from "./defaults.js";
import { msalAuthorityOptions, startEntraStandIn, type EntraStandIn, type EntraStandInOptions } from "./entra/index.js";
import { startDemoMcpServer, type DemoMcpServer } from "./demo-mcp/index.js";
import { startFakeGraph, type FakeGraph } from "./graph/index.js";
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from "./managed-identity/index.js";

export interface DevServicesOptions {
  /** Ports; default {@link DEV_PORTS}. 0 picks a free port. */
  readonly ports?: Partial<Record<keyof typeof DEV_PORTS, number>>;
  /** Overrides of the default stand-in options (dev/defaults.ts). */
  readonly entra?: Partial<EntraStandInOptions>;
  /** Start the fake Graph / orders API (default true). */
  readonly graph?: boolean;
  /** Start the fake managed identity endpoint (default true). */
  readonly managedIdentity?: boolean;
  /** Start the demo downstream MCP server (default true). */
  readonly demoMcp?: boolean;
}

export interface DevServices {
  readonly entra: EntraStandIn;
  readonly graph?: FakeGraph;
  readonly identity?: ManagedIdentityEndpoint;
  readonly demoMcp?: DemoMcpServer;
  /** A human-readable summary: URLs, tenant, users, apps, how to point msal. */
  summary(): string;
  /** Stops everything. */
  close(): Promise<void>;
}

/**
 * Starts the stand-ins. The caller owns them: call `close()` on shutdown.
 *
 * @example
 * const dev = await startDevServices();
 * console.log(dev.summary());
 */
export async function startDevServices(options: DevServicesOptions = {}): Promise<DevServices> {
  const ports = { ...DEV_PORTS, ...options.ports };
  const entra = await startEntraStandIn(defaultEntraStandInOptions({ port: ports.entra, ...options.entra }));
  const started: { close(): Promise<void> }[] = [entra];
  try {
    const graph = options.graph === false ? undefined : await startFakeGraph({ entra, port: ports.graph });
    if (graph !== undefined) started.push(graph);
    const identity = options.managedIdentity === false ? undefined : await startManagedIdentityEndpoint({ entra, port: ports.managedIdentity });
    if (identity !== undefined) started.push(identity);
    const demoMcp = options.demoMcp === false ? undefined : await startDemoMcpServer({ entra, port: ports.demoMcp });
    if (demoMcp !== undefined) started.push(demoMcp);
    return {
      entra,
      ...(graph === undefined ? {} : { graph }),
      ...(identity === undefined ? {} : { identity }),
      ...(demoMcp === undefined ? {} : { demoMcp }),
      summary: () => describe(entra, graph, identity, demoMcp),
      close: async () => {
        await Promise.all(started.map((service) => service.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.close()));
    throw error;
  }
}

function describe(entra: EntraStandIn, graph: FakeGraph | undefined, identity: ManagedIdentityEndpoint | undefined, demoMcp: DemoMcpServer | undefined): string {
  const msal = msalAuthorityOptions(entra);
  const users = Object.values(DEV_USERS)
    .filter((user) => entra.directory.user(user.upn, DEV_TENANT_ID) !== undefined)
    .map((user) => `                 ${user.alias.padEnd(6)} ${user.upn}  password ${user.password}`);
  return [
    "Local Entra ID stand-in (development only)",
    `  Authority      ${msal.authority}`,
    `  Issuer         ${entra.issuer()}`,
    `  Discovery      ${entra.endpoints().discovery}`,
    `  msal           authority ${msal.authority}, knownAuthorities ${JSON.stringify(msal.knownAuthorities)}`,
    `  Kit app        client id ${KIT_CLIENT_ID}, scope ${KIT_SCOPE_URI}, local secret ${KIT_DEV_CLIENT_SECRET}`,
    `  VS Code        client id ${VSCODE_CLIENT_ID} (public, pre-authorized)`,
    "  Dev users",
    ...users,
    ...(graph === undefined ? [] : [`  Fake Graph     ${graph.graphBaseUrl}/me`, `  Orders API     ${graph.ordersUrl}`]),
    ...(demoMcp === undefined ? [] : [`  Demo MCP       ${demoMcp.url.href} (audience ${DEMO_MCP_IDENTIFIER_URI}, scope ${DEMO_MCP_SCOPE})`]),
    ...(identity === undefined
      ? []
      : [`  Identity       IDENTITY_ENDPOINT=${identity.endpoint}`, `                 IDENTITY_HEADER=${identity.identityHeader}`, `                 federated identity client id ${FIC_IDENTITY.clientId}`]),
    "  Clients must trust the dev certificate: run them through node dist/scripts/with-dev-tls.js",
  ].join("\n");
}
