/**
 * Every setting the kit reads, parsed and validated once.
 *
 * Settings come from the environment (Function App settings in Azure,
 * `local.settings.json` under Core Tools, the shell under `npm start`). Each
 * one is declared in {@link SETTINGS} with what it means and whether Azure must
 * set it; `loadConfig` reads nothing that is not declared there, so the
 * infrastructure drift test can compare this table with the Bicep.
 *
 * A bad or missing setting throws a {@link ConfigError} naming the setting and
 * the expected form, at startup rather than on the first request.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_OBO_CACHE_MAX_BYTES, DEFAULT_OBO_CACHE_MAX_ENTRIES, DEFAULT_OBO_CACHE_TABLE_NAME } from "./cache/defaults.js";
import { disguisingCharacterIn } from "./oauth/display-text.js";

/** Thrown when a setting is missing or malformed. `setting` names it. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = "ConfigError";
  }
}

/** How a setting relates to a deployment in Azure. */
export type AzurePresence =
  /** The Bicep must set it. */
  | "set-by-infra"
  /** The Azure platform sets it; nobody configures it. */
  | "platform"
  /** Optional: the default is safe in Azure. */
  | "optional"
  /** Local development and tests only; never set in Azure. */
  | "local-only";

export interface SettingSpec {
  /** What the setting controls and the form it takes. */
  readonly description: string;
  readonly azure: AzurePresence;
}

/** The declared settings. Adding a setting starts here. */
export const SETTINGS = {
  PUBLIC_BASE_URL: {
    description:
      "Origin clients use to reach this app, e.g. https://contoso-mcp.azurewebsites.net (no path). " +
      "Defaults to https://$WEBSITE_HOSTNAME in Azure and http://localhost:$PORT locally.",
    azure: "set-by-infra",
  },
  AUTH_MODE: {
    description:
      "How MCP clients sign in: 'proxy' (this app is the authorization server clients see), " +
      "'direct' (clients go straight to Entra) or 'none' (tests and local trials only; refused in Azure).",
    azure: "set-by-infra",
  },
  ENTRA_TENANT_ID: {
    description:
      "Directory (tenant) id of the Entra app registration, a GUID; or 'organizations' / 'common' for a multi-tenant app " +
      "(then ENTRA_ALLOWED_TENANTS is required). Required unless AUTH_MODE=none.",
    azure: "set-by-infra",
  },
  ENTRA_CLIENT_ID: {
    description: "Application (client) id of the Entra app registration that protects /mcp, a GUID. Required unless AUTH_MODE=none.",
    azure: "set-by-infra",
  },
  ENTRA_IDENTIFIER_URI: {
    description: "Application ID URI of the app registration (default api://<ENTRA_CLIENT_ID>). Tokens may carry it or the client id as audience.",
    azure: "set-by-infra",
  },
  ENTRA_API_SCOPES: {
    description: "Space- or comma-separated names of the delegated scopes the API exposes, the first being the one every caller needs (default mcp.access).",
    azure: "optional",
  },
  APP_CALLERS: {
    description:
      "Comma-separated application (client) ids (GUIDs) of daemons and agents whose app-only tokens (client credentials, no user) may call the tools. " +
      "Unset: app-only tokens are refused, except where a tool's requires.roles names an app role the token carries.",
    azure: "optional",
  },
  CONSENT: {
    description:
      "When users consent to the downstream scopes tools use On-Behalf-Of (proxy mode): 'upfront' (default; every declared scope at the first sign-in) " +
      "or 'incremental' (only this API's scope at sign-in; a downstream scope when a tool first needs it, through a 403 step-up challenge).",
    azure: "optional",
  },
  ENTRA_ALLOWED_TENANTS: {
    description: "Comma-separated tenant ids (GUIDs) whose users may call a multi-tenant app. Ignored for a single-tenant ENTRA_TENANT_ID.",
    azure: "optional",
  },
  ENTRA_AUTHORITY_HOST: {
    description:
      "Entra sign-in host (default https://login.microsoftonline.com; https://login.microsoftonline.us and https://login.chinacloudapi.cn for sovereign clouds; the local stand-in under npm start).",
    azure: "set-by-infra",
  },
  ENTRA_JWKS_COOLDOWN_SECONDS: {
    description: "Least time between two signing-key fetches triggered by tokens with an unknown key id (default 60).",
    azure: "optional",
  },
  APP_CREDENTIAL: {
    description:
      "How the app authenticates to Entra for sign-in and On-Behalf-Of: 'managed-identity' (federated credential, no secret; default in Azure), " +
      "'certificate' (from Key Vault) or 'secret' (default locally).",
    azure: "set-by-infra",
  },
  FIC_IDENTITY_CLIENT_ID: {
    description:
      "Client id (GUID) of the user-assigned managed identity that the app registration trusts as its federated credential (APP_CREDENTIAL=managed-identity).",
    azure: "set-by-infra",
  },
  APP_CERTIFICATE_SECRET_NAME: {
    description: "Name of the Key Vault secret holding the app's certificate as PEM, key included (APP_CREDENTIAL=certificate; default entra-app-certificate).",
    azure: "optional",
  },
  GRAPH_BASE_URL: {
    description: "Microsoft Graph v1.0 base URL for the graph_me example tool (default https://graph.microsoft.com/v1.0; the fake Graph under npm start).",
    azure: "optional",
  },
  ORDERS_API_URL: {
    description: "URL of the custom downstream API the list_orders example tool and the orders://{orderId} example resource template call; both are offered only when this is set (the fake orders API under npm start).",
    azure: "optional",
  },
  DEMO_MCP_URL: {
    description:
      "URL of the demo downstream MCP server, listed through the gateway as demo_* (npm start runs one and sets it; unset: no demo server is declared).",
    azure: "local-only",
  },
  KEY_VAULT_URL: {
    description:
      "URL of the Key Vault holding the app's secrets, e.g. https://kv-contoso-mcp.vault.azure.net/ (https, no path). " +
      "When set, secrets are read from it with the managed identity and cached; when unset, they come from environment variables.",
    azure: "set-by-infra",
  },
  MANAGED_IDENTITY_CLIENT_ID: {
    description:
      "Client id (a GUID) of the user-assigned runtime managed identity: it reads Key Vault (and the OBO cache table). Unset: the system-assigned identity.",
    azure: "set-by-infra",
  },
  SEALING_KEYRING_SECRET_NAME: {
    description: "Name of the secret holding the facade's sealing keyring (default sealing-keyring; from Key Vault, or the SEALING_KEYRING environment variable).",
    azure: "optional",
  },
  SEALING_KEYRING: {
    description:
      'The sealing keyring when secrets come from the environment: {"current":"<key id>","keys":{"<key id>":"<base64url of 32 random bytes>"}}. ' +
      "Locally, a development keyring is generated when it is absent.",
    azure: "local-only",
  },
  ENTRA_CLIENT_SECRET: {
    description: "The app registration's client secret when APP_CREDENTIAL=secret and secrets come from the environment (local development).",
    azure: "local-only",
  },
  SERVER_DISPLAY_NAME: {
    description:
      "The server's name on the consent page, e.g. 'Contoso HR tools' (at most 80 characters). Default: the title of the server definition (serverInfo in tools/index.ts), else its name.",
    azure: "optional",
  },
  OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: {
    description:
      "Comma-separated host[:port] entries whose Client ID Metadata Documents may be fetched from loopback or private addresses (tests and local development only).",
    azure: "local-only",
  },
  OAUTH_REFRESH_IDLE_SECONDS: {
    description:
      "Seconds a refresh token the facade issues stays valid unused (default 7776000, 90 days, Entra's own limit; 60-7776000). " +
      "Every refresh issues a new token with a new period; a sign-in left idle longer must start again.",
    azure: "optional",
  },
  OAUTH_REFRESH_REUSE_GRACE_SECONDS: {
    description:
      "Seconds after a refresh token's first use in which using it again returns the same answer instead of counting as a replay " +
      "(default 30, 0-300; 0: any second use revokes the sign-in). Covers parallel refreshes and retries after a lost response.",
    azure: "optional",
  },
  MCP_MAX_BODY_BYTES: {
    description: "Largest accepted MCP request body in bytes (default 4194304, 4 MiB).",
    azure: "optional",
  },
  MCP_ALLOWED_HOSTS: {
    description:
      "Comma-separated host names (no port) accepted in the Host header at /mcp (DNS-rebinding protection). " +
      "Defaults to the host name of PUBLIC_BASE_URL, plus localhost, 127.0.0.1 and [::1] when running locally.",
    azure: "optional",
  },
  MCP_ALLOWED_ORIGINS: {
    description:
      "Comma-separated host names whose browser pages may call /mcp (checked when a request carries an Origin header). " +
      "Defaults to the same names as MCP_ALLOWED_HOSTS.",
    azure: "optional",
  },
  OBO_CACHE: {
    description:
      "Where On-Behalf-Of results are cached besides each instance's memory: 'memory' (default; nothing shared), " +
      "'table' (Azure Table Storage: OBO_CACHE_TABLE_ENDPOINT in Azure, OBO_CACHE_CONNECTION_STRING locally) or 'redis' (REDIS_URL). " +
      "Shared values are encrypted under a key derived from the user's token.",
    azure: "set-by-infra",
  },
  OBO_CACHE_TABLE_ENDPOINT: {
    description:
      "Table endpoint of the storage account for OBO_CACHE=table, e.g. https://stcontosomcp.table.core.windows.net (https, no path), " +
      "reached with the runtime managed identity (MANAGED_IDENTITY_CLIENT_ID). Required for OBO_CACHE=table in Azure. " +
      "Locally, it reaches the deployed table as the signed-in developer (azd auth login / az login), unless OBO_CACHE_CONNECTION_STRING is set instead.",
    azure: "set-by-infra",
  },
  OBO_CACHE_TABLE_NAME: {
    description: "Table of the shared OBO cache (default obocache; 3-63 letters and digits, starting with a letter); created on first use.",
    azure: "set-by-infra",
  },
  OBO_CACHE_CONNECTION_STRING: {
    description:
      "Storage connection string for OBO_CACHE=table outside Azure (Azurite, or an account that allows shared keys); " +
      "outside Azure, set this or OBO_CACHE_TABLE_ENDPOINT. " +
      "Refused in Azure, where the table is reached with the managed identity.",
    azure: "local-only",
  },
  REDIS_URL: {
    description:
      "Redis for OBO_CACHE=redis: redis://[user:password@]host:port locally, rediss://... (TLS) in Azure, " +
      "e.g. rediss://:<access key>@contoso.redis.cache.windows.net:6380. Required for OBO_CACHE=redis.",
    azure: "optional",
  },
  OBO_CACHE_MAX_ENTRIES: {
    description: "Most On-Behalf-Of results each instance keeps in memory (default 5000); the least recently used go first.",
    azure: "optional",
  },
  OBO_CACHE_MAX_BYTES: {
    description: "Most bytes of On-Behalf-Of results each instance keeps in memory (default 33554432, 32 MiB; at least 65536).",
    azure: "optional",
  },
  LOG_LEVEL: {
    description: "Lowest level written to the log: debug, info, warn or error (default info).",
    azure: "optional",
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    description:
      "Application Insights connection string (InstrumentationKey=<guid>;IngestionEndpoint=https://...). Set: the kit's traces and metrics go there " +
      "through the Azure Monitor OpenTelemetry distro (the Functions host reads it too).",
    azure: "set-by-infra",
  },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    description:
      "How telemetry authenticates when Application Insights has local auth off: Authorization=AAD (the system-assigned identity) or " +
      "ClientId=<guid>;Authorization=AAD (a user-assigned one). Unset: the instrumentation key alone.",
    azure: "set-by-infra",
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    description: "OTLP/HTTP endpoint (e.g. http://localhost:4318) to export traces and metrics to, outside Azure Monitor; the standard OpenTelemetry variable.",
    azure: "optional",
  },
  OTEL_TRACES_EXPORTER: {
    description: "otlp, console (traces and metrics printed on the console) or none. Default: otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.",
    azure: "optional",
  },
  OTEL_SERVICE_NAME: {
    description: "service.name of the telemetry (default mcp-functions-kit); Application Insights shows it as the cloud role.",
    azure: "optional",
  },
  OTEL_METRIC_EXPORT_INTERVAL: {
    description: "Milliseconds between metric exports (default 60000); the standard OpenTelemetry variable, read by the Azure Monitor distro too.",
    azure: "optional",
  },
  OTEL_SDK_DISABLED: {
    description: "true turns telemetry off whatever else is set.",
    azure: "optional",
  },
  DEV_ENTRA_PORT: {
    description: "Port of the local Entra stand-in that npm start runs (default 7443; 0 picks a free one). Read by npm start only.",
    azure: "local-only",
  },
  DEV_GRAPH_PORT: {
    description: "Port of the fake Microsoft Graph / orders API that npm start runs (default 7444). Read by npm start only.",
    azure: "local-only",
  },
  DEV_IDENTITY_PORT: {
    description: "Port of the fake managed identity endpoint that npm start runs (default 7445). Read by npm start only.",
    azure: "local-only",
  },
  DEV_DEMO_PORT: {
    description: "Port of the demo downstream MCP server that npm start runs (default 7446). Read by npm start only.",
    azure: "local-only",
  },
  PORT: {
    description: "Port of the local host (default 7071). Not used in Azure.",
    azure: "local-only",
  },
  BIND_ADDRESS: {
    description:
      "Address the local host (npm start) listens on: 'localhost' (the default: 127.0.0.1 and ::1, reachable from this machine only) " +
      "or an IP address, e.g. 0.0.0.0 in a container whose port is published. Not used in Azure.",
    azure: "local-only",
  },
  WEBSITE_INSTANCE_ID: {
    description: "Set by Azure App Service / Functions; its presence means the app runs in Azure.",
    azure: "platform",
  },
  WEBSITE_HOSTNAME: {
    description: "Set by Azure: the default host name of the app.",
    azure: "platform",
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
export type Environment = Readonly<Record<string, string | undefined>>;

export type AuthMode = "proxy" | "direct" | "none";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface McpSettings {
  /** Largest accepted request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Host names (lower case, no port, IPv6 in brackets) accepted in the Host header at /mcp. */
  readonly allowedHosts: readonly string[];
  /** Host names of browser origins accepted at /mcp when the request carries an Origin header. */
  readonly allowedOriginHosts: readonly string[];
}

export interface EntraSettings {
  /** GUID, or "organizations" / "common" for a multi-tenant app. */
  readonly tenant: string;
  readonly multiTenant: boolean;
  /** Tenants whose tokens are accepted: the tenant itself when single-tenant, the allow-list otherwise. Lower case. */
  readonly allowedTenants: readonly string[];
  /** Application (client) id, lower case. */
  readonly clientId: string;
  /** Application ID URI, e.g. api://<client id>. */
  readonly identifierUri: string;
  /** Delegated scope names the API exposes, e.g. ["mcp.access"]; the first one is required of every caller. */
  readonly apiScopes: readonly [string, ...string[]];
  /** Sign-in host, e.g. https://login.microsoftonline.com (origin only). */
  readonly authorityHost: URL;
  /** Least time between key fetches caused by unknown key ids, in milliseconds. */
  readonly jwksCooldownMs: number;
  /** Client ids (lower case) whose app-only tokens may call the tools (APP_CALLERS). */
  readonly appCallers: readonly string[];
}

export type AppCredentialKind = "managed-identity" | "certificate" | "secret";

/** How the app authenticates to Entra (code redemption, refresh, On-Behalf-Of). */
export interface CredentialSettings {
  readonly kind: AppCredentialKind;
  /** Client id of the federated credential's managed identity (kind managed-identity). */
  readonly ficIdentityClientId?: string;
  /** Secret holding the certificate PEM (kind certificate). */
  readonly certificateSecretName: string;
}

/** When the facade asks users to consent to the downstream scopes tools declare (CONSENT). */
export type ConsentTiming = "upfront" | "incremental";

export interface FacadeSettings {
  /** Every declared downstream scope at sign-in, or each one when a tool first needs it (step-up). */
  readonly consent: ConsentTiming;
  /** Name of the sealing keyring secret. */
  readonly keyringSecretName: string;
  /** Hosts whose metadata documents may live at private addresses. */
  readonly cimdAllowedPrivateHosts: readonly string[];
  /** How long an issued refresh token stays valid unused, in seconds. */
  readonly refreshIdleSeconds: number;
  /** How long after a refresh token's first use a repeat gets the same answer rather than counting as a replay, in seconds (0: never). */
  readonly refreshReuseGraceSeconds: number;
}

/** Longest refresh-token idle period: Entra's own refresh tokens expire after 90 days unused. */
export const MAX_REFRESH_IDLE_SECONDS = 90 * 24 * 3600;

/** Where secrets come from (lib/secrets). */
export interface SecretSettings {
  /** The vault (origin, path "/"); absent: secrets come from the environment. */
  readonly keyVaultUrl?: URL;
  /** Client id of the user-assigned runtime identity (reads the vault; the OBO cache uses it too), lower case; absent: the system-assigned identity. */
  readonly managedIdentityClientId?: string;
}

/** A store shared by all instances, for OBO results. */
export type SharedOboCacheSettings =
  | {
      readonly kind: "table";
      readonly tableName: string;
      /** The table endpoint, reached with `identity`. Exactly one of endpoint and connectionString is set. */
      readonly endpoint?: URL;
      /** Who reaches `endpoint`: the managed identity in Azure, the signed-in developer locally. */
      readonly identity?: "managed-identity" | "developer";
      /** Outside Azure: a storage connection string (a secret: never log it). */
      readonly connectionString?: string;
    }
  | {
      readonly kind: "redis";
      /** May carry a password: never log it. */
      readonly url: URL;
    };

/** The OBO result cache (lib/cache). */
export interface OboCacheSettings {
  /** Most entries in memory per instance. */
  readonly maxEntries: number;
  /** Most bytes in memory per instance. */
  readonly maxBytes: number;
  /** Absent when OBO_CACHE=memory. */
  readonly shared?: SharedOboCacheSettings;
}

export interface KitConfig {
  /** Origin of the app as clients see it. Never derived from request headers. */
  readonly publicBaseUrl: URL;
  /** The MCP endpoint: `${publicBaseUrl}/mcp`. Also the OAuth protected resource identifier. */
  readonly mcpUrl: URL;
  readonly authMode: AuthMode;
  /** Entra settings; absent only when AUTH_MODE=none. */
  readonly entra?: EntraSettings;
  /** The app credential; present unless AUTH_MODE=none. */
  readonly credential?: CredentialSettings;
  /** The authorization-server facade's settings; present only when AUTH_MODE=proxy. */
  readonly facade?: FacadeSettings;
  readonly mcp: McpSettings;
  readonly logLevel: LogLevel;
  /** True when the Azure platform variables say this process runs in Azure. */
  readonly runningInAzure: boolean;
  /** Port of the local host. */
  readonly port: number;
  /** Address the local host listens on: "localhost" (both loopback addresses) or an IP address. */
  readonly bindAddress: string;
  /** The OBO result cache. */
  readonly cache: OboCacheSettings;
  /** Where secrets come from. */
  readonly secrets: SecretSettings;
  /** Where traces and metrics go (lib/telemetry). */
  readonly telemetry: TelemetrySettings;
  /** SERVER_DISPLAY_NAME: what the consent page calls this server; absent: the server definition's title or name. */
  readonly serverDisplayName?: string;
}

/** Where the kit's traces and metrics go; `off` loads nothing of OpenTelemetry. */
export type TelemetrySettings =
  | { readonly exporter: "off" }
  | { readonly exporter: "console"; readonly serviceName: string; readonly metricIntervalMs: number }
  | { readonly exporter: "otlp"; readonly serviceName: string; readonly endpoint: URL; readonly metricIntervalMs: number }
  | {
      readonly exporter: "azure-monitor";
      readonly serviceName: string;
      /** Not a secret once local auth is off (an id and addresses); never logged all the same. */
      readonly connectionString: string;
      /** Entra authentication with a managed identity (absent client id: the system-assigned one); absent: the instrumentation key alone. */
      readonly entra?: { readonly managedIdentityClientId?: string };
    };

const LOOPBACK_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Whether a URL host name is a loopback name (`localhost`, 127.0.0.0/8, `[::1]`). */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return name === "localhost" || name === "[::1]" || name === "::1" || /^127(\.\d{1,3}){3}$/.test(name);
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive().max(1024 * 1024 * 1024);
const commaList = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""));

function parse<T>(name: SettingName, schema: z.ZodType<T>, raw: string, expected: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected ${expected}`);
  }
  return result.data;
}

function parseBaseUrl(name: SettingName, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected an absolute URL such as https://contoso-mcp.azurewebsites.net`);
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected an origin only (scheme, host and port, no path, query or credentials)`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHostname(url.hostname))) {
    throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected https (http is accepted for localhost only)`);
  }
  return url;
}

function parseHostnames(name: SettingName, raw: string): string[] {
  return parse(name, commaList, raw, "a comma-separated list of host names").map((item) => {
    const hostname = item.toLowerCase();
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/.test(hostname)) {
      throw new ConfigError(name, `${JSON.stringify(item)} is not a host name such as app.example.com (no scheme, no port)`);
    }
    return hostname;
  });
}

/**
 * Reads and validates every setting from `env`.
 *
 * @example
 * const config = loadConfig(process.env);
 * config.mcpUrl.href; // "https://contoso-mcp.azurewebsites.net/mcp"
 * @throws ConfigError naming the first bad setting.
 */
export function loadConfig(env: Environment = process.env): KitConfig {
  const read = (name: SettingName): string | undefined => nonEmpty(env[name]);

  const runningInAzure = read("WEBSITE_INSTANCE_ID") !== undefined;
  const localPort = read("PORT") === undefined ? 7071 : parse("PORT", port, read("PORT")!, "a port number 1-65535");

  const rawBase =
    read("PUBLIC_BASE_URL") ??
    (read("WEBSITE_HOSTNAME") !== undefined ? `https://${read("WEBSITE_HOSTNAME")}` : undefined) ??
    (runningInAzure ? undefined : `http://localhost:${localPort}`);
  if (rawBase === undefined) {
    throw new ConfigError("PUBLIC_BASE_URL", "missing; set it to the https origin clients use to reach this app");
  }
  const publicBaseUrl = parseBaseUrl(read("PUBLIC_BASE_URL") !== undefined ? "PUBLIC_BASE_URL" : "WEBSITE_HOSTNAME", rawBase);

  const authMode = parse(
    "AUTH_MODE",
    z.enum(["proxy", "direct", "none"]),
    read("AUTH_MODE") ?? "none",
    "one of proxy, direct, none",
  );
  if (authMode === "none" && runningInAzure) {
    throw new ConfigError(
      "AUTH_MODE",
      "'none' serves /mcp without sign-in and is refused when the app runs in Azure (WEBSITE_INSTANCE_ID is set); use proxy or direct",
    );
  }
  const entra = authMode === "none" ? undefined : readEntraSettings(read);
  const credential = authMode === "none" ? undefined : readCredentialSettings(read, runningInAzure);
  // Read in every mode so that a typo stops the app even where the setting does not apply.
  const consent = parse("CONSENT", z.enum(["upfront", "incremental"]), read("CONSENT") ?? "upfront", "one of upfront, incremental");
  const facade = authMode === "proxy" ? readFacadeSettings(read, runningInAzure, consent) : undefined;

  const rawHosts = read("MCP_ALLOWED_HOSTS");
  const allowedHosts =
    rawHosts === undefined
      ? [publicBaseUrl.hostname, ...(runningInAzure ? [] : LOOPBACK_HOSTNAMES)]
      : parseHostnames("MCP_ALLOWED_HOSTS", rawHosts);
  const rawOrigins = read("MCP_ALLOWED_ORIGINS");
  const rawBodyLimit = read("MCP_MAX_BODY_BYTES");
  // The example tools read these when they run; a typo should stop the app now, not fail a call later.
  for (const name of ["GRAPH_BASE_URL", "ORDERS_API_URL", "DEMO_MCP_URL"] as const) checkDownstreamUrl(name, read(name), runningInAzure);

  return {
    publicBaseUrl,
    mcpUrl: new URL("/mcp", publicBaseUrl),
    authMode,
    ...(entra === undefined ? {} : { entra }),
    ...(credential === undefined ? {} : { credential }),
    ...(facade === undefined ? {} : { facade }),
    mcp: {
      maxBodyBytes: rawBodyLimit === undefined ? 4 * 1024 * 1024 : parse("MCP_MAX_BODY_BYTES", positiveInt, rawBodyLimit, "a positive number of bytes"),
      allowedHosts: unique(allowedHosts),
      allowedOriginHosts: unique(rawOrigins === undefined ? allowedHosts : parseHostnames("MCP_ALLOWED_ORIGINS", rawOrigins)),
    },
    logLevel: parse("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]), read("LOG_LEVEL") ?? "info", "one of debug, info, warn, error"),
    runningInAzure,
    port: localPort,
    bindAddress: readBindAddress(read("BIND_ADDRESS")),
    cache: readOboCacheSettings(read, runningInAzure),
    secrets: readSecretSettings(read),
    telemetry: readTelemetrySettings(read, runningInAzure),
    ...displayName(read("SERVER_DISPLAY_NAME")),
  };
}

function displayName(raw: string | undefined): { serverDisplayName?: string } {
  if (raw === undefined) return {};
  if ([...raw].length > 80) throw new ConfigError("SERVER_DISPLAY_NAME", `is ${[...raw].length} characters long, expected at most 80`);
  const disguising = disguisingCharacterIn(raw);
  if (disguising !== undefined) {
    throw new ConfigError("SERVER_DISPLAY_NAME", `contains ${disguising}, an invisible, control or text-direction character; the consent page shows this name to users, so it may hold none`);
  }
  return { serverDisplayName: raw };
}

function readBindAddress(raw: string | undefined): string {
  if (raw === undefined || raw.toLowerCase() === "localhost") return "localhost";
  const address = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  if (isIP(address) === 0) {
    throw new ConfigError("BIND_ADDRESS", `got ${JSON.stringify(raw)}, expected localhost (the default: this machine only) or an IP address such as 0.0.0.0 (every interface, in a container)`);
  }
  return address;
}

function checkDownstreamUrl(name: SettingName, raw: string | undefined, runningInAzure: boolean): void {
  if (raw === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const allowed = url !== undefined && (url.protocol === "https:" || (url.protocol === "http:" && !runningInAzure)) && url.username === "" && url.password === "";
  if (!allowed) {
    throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected an absolute https URL without credentials${runningInAzure ? "" : " (http is accepted locally)"}`);
  }
}

function readSecretSettings(read: (name: SettingName) => string | undefined): SecretSettings {
  const rawVault = read("KEY_VAULT_URL");
  let keyVaultUrl: URL | undefined;
  if (rawVault !== undefined) {
    const example = "https://kv-contoso-mcp.vault.azure.net/";
    try {
      keyVaultUrl = new URL(rawVault);
    } catch {
      throw new ConfigError("KEY_VAULT_URL", `got ${JSON.stringify(rawVault)}, expected the vault's URL such as ${example}`);
    }
    if (keyVaultUrl.protocol !== "https:") {
      throw new ConfigError("KEY_VAULT_URL", `got ${JSON.stringify(rawVault)}, expected https (Key Vault is reached over TLS only), such as ${example}`);
    }
    if (keyVaultUrl.pathname !== "/" || keyVaultUrl.search !== "" || keyVaultUrl.hash !== "" || keyVaultUrl.username !== "" || keyVaultUrl.password !== "") {
      throw new ConfigError("KEY_VAULT_URL", `got ${JSON.stringify(rawVault)}, expected the vault's URL only (no path, query or credentials), such as ${example}`);
    }
  }
  const rawClientId = read("MANAGED_IDENTITY_CLIENT_ID");
  if (rawClientId !== undefined && !isGuid(rawClientId)) {
    throw new ConfigError("MANAGED_IDENTITY_CLIENT_ID", `got ${JSON.stringify(rawClientId)}, expected a GUID (the client id of the user-assigned identity)`);
  }
  return {
    ...(keyVaultUrl === undefined ? {} : { keyVaultUrl }),
    ...(rawClientId === undefined ? {} : { managedIdentityClientId: rawClientId.toLowerCase() }),
  };
}

function readCredentialSettings(read: (name: SettingName) => string | undefined, runningInAzure: boolean): CredentialSettings {
  const kind = parse(
    "APP_CREDENTIAL",
    z.enum(["managed-identity", "certificate", "secret"]),
    read("APP_CREDENTIAL") ?? (runningInAzure ? "managed-identity" : "secret"),
    "one of managed-identity, certificate, secret",
  );
  const certificateSecretName = read("APP_CERTIFICATE_SECRET_NAME") ?? "entra-app-certificate";
  if (!/^[A-Za-z0-9-]{1,127}$/.test(certificateSecretName)) {
    throw new ConfigError("APP_CERTIFICATE_SECRET_NAME", `got ${JSON.stringify(certificateSecretName)}, expected a Key Vault secret name (letters, digits, dashes)`);
  }
  if (kind !== "managed-identity") return { kind, certificateSecretName };
  const ficIdentityClientId = read("FIC_IDENTITY_CLIENT_ID");
  if (ficIdentityClientId === undefined || !isGuid(ficIdentityClientId)) {
    throw new ConfigError(
      "FIC_IDENTITY_CLIENT_ID",
      ficIdentityClientId === undefined
        ? "missing; APP_CREDENTIAL=managed-identity needs the client id (GUID) of the managed identity the app registration trusts"
        : `got ${JSON.stringify(ficIdentityClientId)}, expected a GUID`,
    );
  }
  return { kind, ficIdentityClientId: ficIdentityClientId.toLowerCase(), certificateSecretName };
}

function readFacadeSettings(read: (name: SettingName) => string | undefined, runningInAzure: boolean, consent: ConsentTiming): FacadeSettings {
  const keyringSecretName = read("SEALING_KEYRING_SECRET_NAME") ?? "sealing-keyring";
  if (!/^[A-Za-z0-9-]{1,127}$/.test(keyringSecretName)) {
    throw new ConfigError("SEALING_KEYRING_SECRET_NAME", `got ${JSON.stringify(keyringSecretName)}, expected a Key Vault secret name (letters, digits, dashes)`);
  }
  const rawPrivateHosts = read("OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS");
  if (rawPrivateHosts !== undefined && runningInAzure) {
    throw new ConfigError("OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS", "is for tests and local development and is refused in Azure");
  }
  const cimdAllowedPrivateHosts =
    rawPrivateHosts === undefined
      ? []
      : parse("OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS", commaList, rawPrivateHosts, "a comma-separated list of host[:port]").map((entry) => entry.toLowerCase());
  const rawIdle = read("OAUTH_REFRESH_IDLE_SECONDS");
  const refreshIdleSeconds =
    rawIdle === undefined
      ? MAX_REFRESH_IDLE_SECONDS
      : parse("OAUTH_REFRESH_IDLE_SECONDS", z.coerce.number().int().min(60).max(MAX_REFRESH_IDLE_SECONDS), rawIdle, `a whole number of seconds 60-${MAX_REFRESH_IDLE_SECONDS} (90 days)`);
  const rawGrace = read("OAUTH_REFRESH_REUSE_GRACE_SECONDS");
  const refreshReuseGraceSeconds =
    rawGrace === undefined ? 30 : parse("OAUTH_REFRESH_REUSE_GRACE_SECONDS", z.coerce.number().int().min(0).max(300), rawGrace, "a whole number of seconds 0-300");
  return { consent, keyringSecretName, cimdAllowedPrivateHosts, refreshIdleSeconds, refreshReuseGraceSeconds };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a GUID in the 8-4-4-4-12 form. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

function readEntraSettings(read: (name: SettingName) => string | undefined): EntraSettings {
  const rawTenant = read("ENTRA_TENANT_ID");
  if (rawTenant === undefined) {
    throw new ConfigError("ENTRA_TENANT_ID", "missing; set the directory (tenant) id of the app registration, a GUID");
  }
  const tenant = rawTenant.toLowerCase();
  const multiTenant = tenant === "organizations" || tenant === "common";
  if (!multiTenant && !isGuid(tenant)) {
    throw new ConfigError("ENTRA_TENANT_ID", `got ${JSON.stringify(rawTenant)}, expected a GUID (or 'organizations' / 'common' for a multi-tenant app)`);
  }

  const rawClientId = read("ENTRA_CLIENT_ID");
  if (rawClientId === undefined || !isGuid(rawClientId)) {
    throw new ConfigError(
      "ENTRA_CLIENT_ID",
      rawClientId === undefined ? "missing; set the application (client) id of the app registration, a GUID" : `got ${JSON.stringify(rawClientId)}, expected a GUID`,
    );
  }
  const clientId = rawClientId.toLowerCase();

  let allowedTenants: string[];
  if (multiTenant) {
    const raw = read("ENTRA_ALLOWED_TENANTS");
    if (raw === undefined) {
      throw new ConfigError("ENTRA_ALLOWED_TENANTS", `missing; a multi-tenant app (ENTRA_TENANT_ID=${tenant}) must list the tenant GUIDs whose users may call it`);
    }
    allowedTenants = parse("ENTRA_ALLOWED_TENANTS", commaList, raw, "a comma-separated list of tenant GUIDs").map((item) => {
      if (!isGuid(item)) throw new ConfigError("ENTRA_ALLOWED_TENANTS", `${JSON.stringify(item)} is not a tenant GUID`);
      return item.toLowerCase();
    });
    if (allowedTenants.length === 0) throw new ConfigError("ENTRA_ALLOWED_TENANTS", "lists no tenant");
  } else {
    allowedTenants = [tenant];
  }

  const identifierUri = read("ENTRA_IDENTIFIER_URI") ?? `api://${clientId}`;
  try {
    new URL(identifierUri);
  } catch {
    throw new ConfigError("ENTRA_IDENTIFIER_URI", `got ${JSON.stringify(identifierUri)}, expected an application ID URI such as api://${clientId}`);
  }

  const scopeNames = (read("ENTRA_API_SCOPES") ?? "mcp.access").split(/[\s,]+/).filter((name) => name !== "");
  for (const name of scopeNames) {
    if (!/^[A-Za-z0-9._-]{1,120}$/.test(name)) {
      throw new ConfigError("ENTRA_API_SCOPES", `${JSON.stringify(name)} is not a scope name such as mcp.access (the part after the identifier URI)`);
    }
  }
  const [firstScope, ...otherScopes] = scopeNames;
  if (firstScope === undefined) throw new ConfigError("ENTRA_API_SCOPES", "lists no scope");

  const rawHost = read("ENTRA_AUTHORITY_HOST") ?? "https://login.microsoftonline.com";
  const authorityHost = parseBaseUrl("ENTRA_AUTHORITY_HOST", rawHost);
  if (authorityHost.protocol !== "https:") {
    throw new ConfigError("ENTRA_AUTHORITY_HOST", `got ${JSON.stringify(rawHost)}, expected https (Entra and msal-node accept nothing else)`);
  }

  const rawCooldown = read("ENTRA_JWKS_COOLDOWN_SECONDS");
  const cooldownSeconds =
    rawCooldown === undefined ? 60 : parse("ENTRA_JWKS_COOLDOWN_SECONDS", z.coerce.number().min(0).max(86400), rawCooldown, "a number of seconds 0-86400");

  return {
    tenant,
    multiTenant,
    allowedTenants,
    clientId,
    identifierUri,
    apiScopes: [firstScope, ...otherScopes],
    authorityHost,
    jwksCooldownMs: cooldownSeconds * 1000,
    appCallers: readAppCallers(read("APP_CALLERS")),
  };
}

function readAppCallers(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return parse("APP_CALLERS", commaList, raw, "a comma-separated list of application (client) ids").map((item) => {
    if (!isGuid(item)) throw new ConfigError("APP_CALLERS", `${JSON.stringify(item)} is not an application (client) id GUID`);
    return item.toLowerCase();
  });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function readOboCacheSettings(read: (name: SettingName) => string | undefined, runningInAzure: boolean): OboCacheSettings {
  const rawEntries = read("OBO_CACHE_MAX_ENTRIES");
  const rawBytes = read("OBO_CACHE_MAX_BYTES");
  const maxEntries =
    rawEntries === undefined
      ? DEFAULT_OBO_CACHE_MAX_ENTRIES
      : parse("OBO_CACHE_MAX_ENTRIES", z.coerce.number().int().min(1).max(1_000_000), rawEntries, "a whole number of entries 1-1000000");
  const maxBytes =
    rawBytes === undefined
      ? DEFAULT_OBO_CACHE_MAX_BYTES
      : parse("OBO_CACHE_MAX_BYTES", z.coerce.number().int().min(65536).max(1024 * 1024 * 1024), rawBytes, "a whole number of bytes 65536-1073741824");
  const kind = parse("OBO_CACHE", z.enum(["memory", "table", "redis"]), read("OBO_CACHE") ?? "memory", "one of memory, table, redis");
  if (kind === "memory") return { maxEntries, maxBytes };
  if (kind === "redis") return { maxEntries, maxBytes, shared: { kind, url: readRedisUrl(read("REDIS_URL"), runningInAzure) } };

  const tableName = read("OBO_CACHE_TABLE_NAME") ?? DEFAULT_OBO_CACHE_TABLE_NAME;
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(tableName) || tableName.toLowerCase() === "tables") {
    throw new ConfigError("OBO_CACHE_TABLE_NAME", `got ${JSON.stringify(tableName)}, expected an Azure table name: 3-63 letters and digits, starting with a letter`);
  }
  const connectionString = read("OBO_CACHE_CONNECTION_STRING");
  if (runningInAzure) {
    if (connectionString !== undefined) {
      throw new ConfigError("OBO_CACHE_CONNECTION_STRING", "is for local development and tests and is refused in Azure; set OBO_CACHE_TABLE_ENDPOINT, reached with the managed identity");
    }
    const rawEndpoint = read("OBO_CACHE_TABLE_ENDPOINT");
    if (rawEndpoint === undefined) {
      throw new ConfigError("OBO_CACHE_TABLE_ENDPOINT", "missing; OBO_CACHE=table in Azure needs the storage account's table endpoint, such as https://stcontosomcp.table.core.windows.net");
    }
    return { maxEntries, maxBytes, shared: { kind, tableName, endpoint: readTableEndpoint(rawEndpoint), identity: "managed-identity" } };
  }
  const rawEndpoint = read("OBO_CACHE_TABLE_ENDPOINT");
  if (connectionString !== undefined && rawEndpoint !== undefined) {
    throw new ConfigError("OBO_CACHE_CONNECTION_STRING", "and OBO_CACHE_TABLE_ENDPOINT are both set; set one (a connection string for Azurite, the endpoint to use the deployed table as yourself)");
  }
  if (rawEndpoint !== undefined) {
    return { maxEntries, maxBytes, shared: { kind, tableName, endpoint: readTableEndpoint(rawEndpoint), identity: "developer" } };
  }
  if (connectionString === undefined) {
    throw new ConfigError(
      "OBO_CACHE_CONNECTION_STRING",
      "missing; OBO_CACHE=table outside Azure needs a storage connection string (Azurite's) or OBO_CACHE_TABLE_ENDPOINT (the deployed table, reached as the signed-in developer)",
    );
  }
  if (!isStorageConnectionString(connectionString)) {
    // The value holds an account key: it is never repeated in the message.
    throw new ConfigError("OBO_CACHE_CONNECTION_STRING", "is not a storage connection string (expected AccountName=...;AccountKey=...;... or UseDevelopmentStorage=true; the value is not shown)");
  }
  return { maxEntries, maxBytes, shared: { kind, tableName, connectionString } };
}

function readTableEndpoint(raw: string): URL {
  const example = "https://stcontosomcp.table.core.windows.net";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("OBO_CACHE_TABLE_ENDPOINT", `got ${JSON.stringify(raw)}, expected the table endpoint such as ${example}`);
  }
  if (url.protocol !== "https:") {
    throw new ConfigError("OBO_CACHE_TABLE_ENDPOINT", `got ${JSON.stringify(raw)}, expected https, such as ${example}`);
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError("OBO_CACHE_TABLE_ENDPOINT", `got ${JSON.stringify(raw)}, expected the endpoint only (no path, query or credentials), such as ${example}`);
  }
  return url;
}

function isStorageConnectionString(value: string): boolean {
  const fields = connectionStringFields(value);
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") return true;
  return (fields.get("accountname") ?? "") !== "" && ((fields.get("accountkey") ?? "") !== "" || (fields.get("sharedaccesssignature") ?? "") !== "");
}

function readRedisUrl(raw: string | undefined, runningInAzure: boolean): URL {
  if (raw === undefined) {
    throw new ConfigError("REDIS_URL", "missing; OBO_CACHE=redis needs the Redis URL, such as rediss://:<access key>@contoso.redis.cache.windows.net:6380");
  }
  // The URL may carry a password, so messages show at most its scheme and host.
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("REDIS_URL", "is not a URL; expected redis://host:port or rediss://host:port (the value is not shown)");
  }
  const shown = `${url.protocol}//${url.host}`;
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL", `starts with ${JSON.stringify(url.protocol)}, expected redis:// or rediss://`);
  }
  if (url.hostname === "" || !/^(\/\d{0,2})?$/.test(url.pathname) || url.search !== "" || url.hash !== "") {
    throw new ConfigError("REDIS_URL", `${shown}...: expected redis[s]://[user:password@]host:port[/db] with nothing else`);
  }
  if (runningInAzure && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL", `${shown}: expected rediss:// (TLS) in Azure, where the password would otherwise cross the network in clear`);
  }
  return url;
}

function readTelemetrySettings(read: (name: SettingName) => string | undefined, runningInAzure: boolean): TelemetrySettings {
  const disabled = read("OTEL_SDK_DISABLED");
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled)) throw new ConfigError("OTEL_SDK_DISABLED", `got ${JSON.stringify(disabled)}, expected true or false`);
  const connectionString = read("APPLICATIONINSIGHTS_CONNECTION_STRING");
  const rawEndpoint = read("OTEL_EXPORTER_OTLP_ENDPOINT");
  const tracesExporter = parse("OTEL_TRACES_EXPORTER", z.enum(["otlp", "console", "none"]), read("OTEL_TRACES_EXPORTER")?.toLowerCase() ?? (rawEndpoint === undefined ? "none" : "otlp"), "one of otlp, console, none");
  if (disabled?.toLowerCase() === "true") return { exporter: "off" };
  const serviceName = read("OTEL_SERVICE_NAME") ?? "mcp-functions-kit";
  const rawInterval = read("OTEL_METRIC_EXPORT_INTERVAL");
  const metricIntervalMs = rawInterval === undefined ? 60_000 : parse("OTEL_METRIC_EXPORT_INTERVAL", z.coerce.number().int().min(100).max(86_400_000), rawInterval, "a number of milliseconds 100-86400000");
  if (connectionString !== undefined) {
    if (rawEndpoint !== undefined || read("OTEL_TRACES_EXPORTER") !== undefined) {
      throw new ConfigError("OTEL_EXPORTER_OTLP_ENDPOINT", "and OTEL_TRACES_EXPORTER are for exporting outside Azure Monitor; APPLICATIONINSIGHTS_CONNECTION_STRING is set too: set one or the other");
    }
    checkConnectionString(connectionString);
    const rawAuthentication = read("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
    return { exporter: "azure-monitor", serviceName, connectionString, ...(rawAuthentication === undefined ? {} : { entra: readAuthenticationString(rawAuthentication) }) };
  }
  if (read("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") !== undefined) {
    throw new ConfigError("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "is set but APPLICATIONINSIGHTS_CONNECTION_STRING is not; set both (telemetry to Application Insights) or neither");
  }
  if (tracesExporter === "none") return { exporter: "off" };
  if (tracesExporter === "console") return { exporter: "console", serviceName, metricIntervalMs };
  const raw = rawEndpoint ?? "http://localhost:4318";
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch {
    throw new ConfigError("OTEL_EXPORTER_OTLP_ENDPOINT", `got ${JSON.stringify(raw)}, expected an OTLP/HTTP base URL such as http://localhost:4318`);
  }
  if ((endpoint.protocol !== "https:" && !(endpoint.protocol === "http:" && !runningInAzure)) || endpoint.username !== "" || endpoint.password !== "") {
    throw new ConfigError("OTEL_EXPORTER_OTLP_ENDPOINT", `got ${JSON.stringify(raw)}, expected an https URL without credentials${runningInAzure ? "" : " (http is accepted locally)"}`);
  }
  return { exporter: "otlp", serviceName, endpoint, metricIntervalMs };
}

/** Connection string fields, by lower-case name. The message never repeats the value. */
function connectionStringFields(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of value.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return fields;
}

function checkConnectionString(value: string): void {
  const fields = connectionStringFields(value);
  const example = "InstrumentationKey=<guid>;IngestionEndpoint=https://<region>.in.applicationinsights.azure.com/";
  if (!isGuid(fields.get("instrumentationkey") ?? "")) {
    throw new ConfigError("APPLICATIONINSIGHTS_CONNECTION_STRING", `has no InstrumentationKey GUID; expected the component's connection string, such as ${example}`);
  }
  const ingestion = fields.get("ingestionendpoint");
  if (ingestion !== undefined && !/^https:\/\/[^\s/]+/.test(ingestion)) {
    throw new ConfigError("APPLICATIONINSIGHTS_CONNECTION_STRING", `has an IngestionEndpoint that is not an https URL; expected ${example}`);
  }
}

function readAuthenticationString(value: string): { managedIdentityClientId?: string } {
  const fields = connectionStringFields(value);
  const example = "ClientId=<guid of the user-assigned identity>;Authorization=AAD";
  if (fields.get("authorization")?.toUpperCase() !== "AAD" || [...fields.keys()].some((name) => name !== "authorization" && name !== "clientid")) {
    throw new ConfigError("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", `got ${JSON.stringify(value)}, expected Authorization=AAD or ${example}`);
  }
  const clientId = fields.get("clientid");
  if (clientId === undefined) return {};
  if (!isGuid(clientId)) throw new ConfigError("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", `has ClientId ${JSON.stringify(clientId)}, expected a GUID: ${example}`);
  return { managedIdentityClientId: clientId.toLowerCase() };
}
