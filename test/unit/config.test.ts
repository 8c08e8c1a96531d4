import assert from "node:assert/strict";
import { ConfigError, SETTINGS, loadConfig } from "../../lib/config.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("loadConfig accepted a bad configuration");
}

describe("configuration", () => {
  it("defaults to the local host on port 7071 with localhost names allowed", () => {
    const config = loadConfig({ AUTH_MODE: "none" });
    assert.equal(config.mcpUrl.href, "http://localhost:7071/mcp");
    assert.equal(config.port, 7071);
    assert.equal(config.mcp.maxBodyBytes, 4 * 1024 * 1024);
    assert.deepEqual(config.mcp.allowedHosts, ["localhost", "127.0.0.1", "[::1]"]);
    assert.equal(config.runningInAzure, false);
  });

  it("derives the public URL from WEBSITE_HOSTNAME in Azure and allows only that host", () => {
    const config = loadConfig({ AUTH_MODE: "none", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net", PORT: "8080" });
    assert.equal(config.mcpUrl.href, "https://contoso-mcp.azurewebsites.net/mcp");
    assert.deepEqual(config.mcp.allowedHosts, ["contoso-mcp.azurewebsites.net", "localhost", "127.0.0.1", "[::1]"]);
  });

  it("listens on the loopback addresses unless BIND_ADDRESS names another", () => {
    assert.equal(loadConfig({ AUTH_MODE: "none" }).bindAddress, "localhost");
    assert.equal(loadConfig({ AUTH_MODE: "none", BIND_ADDRESS: "0.0.0.0" }).bindAddress, "0.0.0.0");
    assert.equal(loadConfig({ AUTH_MODE: "none", BIND_ADDRESS: "[::]" }).bindAddress, "::");
    assert.equal(loadConfig({ AUTH_MODE: "none", BIND_ADDRESS: "LOCALHOST" }).bindAddress, "localhost");
  });

  it("refuses to serve without sign-in when the app runs in Azure", () => {
    const error = configError({ AUTH_MODE: "none", WEBSITE_INSTANCE_ID: "abc123", WEBSITE_HOSTNAME: "x.azurewebsites.net" });
    assert.equal(error.setting, "AUTH_MODE");
    assert.match(error.message, /refused when the app runs in Azure/);
  });

  it("names the setting and the expected form for each malformed value", () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ PUBLIC_BASE_URL: "contoso.example" }, "PUBLIC_BASE_URL", /absolute URL/],
      [{ PUBLIC_BASE_URL: "http://contoso.example" }, "PUBLIC_BASE_URL", /https/],
      [{ PUBLIC_BASE_URL: "https://contoso.example/api" }, "PUBLIC_BASE_URL", /origin only/],
      [{ PORT: "70000" }, "PORT", /port number/],
      [{ BIND_ADDRESS: "my-laptop" }, "BIND_ADDRESS", /expected localhost .* or an IP address such as 0\.0\.0\.0/],
      [{ BIND_ADDRESS: "0.0.0.0:7071" }, "BIND_ADDRESS", /an IP address/],
      [{ SERVER_DISPLAY_NAME: "Contoso \u202Eslooт" }, "SERVER_DISPLAY_NAME", /contains U\+202E, an invisible, control or text-direction character/],
      [{ SERVER_DISPLAY_NAME: "x".repeat(81) }, "SERVER_DISPLAY_NAME", /at most 80/],
      [{ MCP_MAX_BODY_BYTES: "-1" }, "MCP_MAX_BODY_BYTES", /positive number of bytes/],
      [{ MCP_MAX_BODY_BYTES: "lots" }, "MCP_MAX_BODY_BYTES", /positive number of bytes/],
      [{ MCP_ALLOWED_HOSTS: "https://contoso.example" }, "MCP_ALLOWED_HOSTS", /host name/],
      [{ MCP_ALLOWED_ORIGINS: "contoso.example:8443" }, "MCP_ALLOWED_ORIGINS", /host name/],
      [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", /one of debug, info, warn, error/],
      [{ AUTH_MODE: "open" }, "AUTH_MODE", /one of proxy, direct, none/],
      [{ GRAPH_BASE_URL: "graph.microsoft.com/v1.0" }, "GRAPH_BASE_URL", /absolute https URL/],
      [{ ORDERS_API_URL: "ftp://orders.contoso.example/api" }, "ORDERS_API_URL", /absolute https URL/],
      [{ ORDERS_API_URL: "https://user:pass@orders.contoso.example/api" }, "ORDERS_API_URL", /without credentials/],
      [{ CONSENT: "lazy" }, "CONSENT", /one of upfront, incremental/],
    ];
    for (const [env, setting, expected] of cases) {
      const error = configError({ AUTH_MODE: "none", ...env });
      assert.equal(error.setting, setting, JSON.stringify(env));
      assert.match(error.message, expected, JSON.stringify(env));
      assert.ok(error.message.includes(setting), "the message names the setting");
    }
  });

  it("refuses the metadata-document private-host allow-list in Azure, and accepts it locally", () => {
    const proxyInAzure = {
      AUTH_MODE: "proxy",
      ENTRA_TENANT_ID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      ENTRA_CLIENT_ID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
      FIC_IDENTITY_CLIENT_ID: "f1c00000-0000-4000-8000-0000000000f1",
      KEY_VAULT_URL: "https://contoso-kv.vault.azure.net",
      WEBSITE_INSTANCE_ID: "abc",
      WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net",
    };
    assert.equal(loadConfig(proxyInAzure).runningInAzure, true, "the same settings without the allow-list load");
    const error = configError({ ...proxyInAzure, OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: "10.0.0.5:8443" });
    assert.equal(error.setting, "OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS");
    assert.match(error.message, /refused in Azure/);
    const { WEBSITE_INSTANCE_ID: _azure, WEBSITE_HOSTNAME: _host, ...local } = proxyInAzure;
    assert.doesNotThrow(() => loadConfig({ ...local, OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: "localhost:8443" }));
  });

  it("reads the refresh-token idle expiry and reuse grace window, with Entra's 90 days and 30 s by default", () => {
    const proxy = { AUTH_MODE: "proxy", ENTRA_TENANT_ID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ENTRA_CLIENT_ID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301" };
    assert.deepEqual(
      [loadConfig(proxy).facade?.refreshIdleSeconds, loadConfig(proxy).facade?.refreshReuseGraceSeconds],
      [7_776_000, 30],
    );
    const set = loadConfig({ ...proxy, OAUTH_REFRESH_IDLE_SECONDS: "1209600", OAUTH_REFRESH_REUSE_GRACE_SECONDS: "0" }).facade;
    assert.deepEqual([set?.refreshIdleSeconds, set?.refreshReuseGraceSeconds], [1_209_600, 0]);
    for (const [name, value] of [
      ["OAUTH_REFRESH_IDLE_SECONDS", "59"],
      ["OAUTH_REFRESH_IDLE_SECONDS", "7776001"],
      ["OAUTH_REFRESH_IDLE_SECONDS", "14d"],
      ["OAUTH_REFRESH_REUSE_GRACE_SECONDS", "301"],
      ["OAUTH_REFRESH_REUSE_GRACE_SECONDS", "-1"],
      ["OAUTH_REFRESH_REUSE_GRACE_SECONDS", "2.5"],
    ] as const) {
      const error = configError({ ...proxy, [name]: value });
      assert.equal(error.setting, name);
      assert.match(error.message, /whole number of seconds/);
    }
  });

  it("says which app credential setting is missing or malformed, at startup", () => {
    const direct = { AUTH_MODE: "direct", ENTRA_TENANT_ID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ENTRA_CLIENT_ID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301" };
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ APP_CREDENTIAL: "password" }, "APP_CREDENTIAL", /one of managed-identity, certificate, secret/],
      [{ APP_CREDENTIAL: "managed-identity" }, "FIC_IDENTITY_CLIENT_ID", /missing; APP_CREDENTIAL=managed-identity needs the client id/],
      [{ APP_CREDENTIAL: "managed-identity", FIC_IDENTITY_CLIENT_ID: "my-identity" }, "FIC_IDENTITY_CLIENT_ID", /expected a GUID/],
      [{ APP_CREDENTIAL: "certificate", APP_CERTIFICATE_SECRET_NAME: "cert/../x" }, "APP_CERTIFICATE_SECRET_NAME", /Key Vault secret name/],
      [{ WEBSITE_INSTANCE_ID: "abc", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net" }, "FIC_IDENTITY_CLIENT_ID", /missing/],
    ];
    for (const [env, setting, expected] of cases) {
      const error = configError({ ...direct, ...env });
      assert.equal(error.setting, setting, JSON.stringify(env));
      assert.match(error.message, expected, JSON.stringify(env));
    }
    assert.equal(loadConfig({ ...direct }).credential?.kind, "secret", "locally the default is a client secret");
    assert.equal(loadConfig({ ...direct, APP_CREDENTIAL: "certificate" }).credential?.certificateSecretName, "entra-app-certificate");
  });

  it("requires a public URL in Azure when the platform gives no host name", () => {
    const error = configError({ AUTH_MODE: "none", WEBSITE_INSTANCE_ID: "abc" });
    assert.equal(error.setting, "PUBLIC_BASE_URL");
  });

  it("accepts explicit allow-lists and lower-cases host names", () => {
    const config = loadConfig({ AUTH_MODE: "none", MCP_ALLOWED_HOSTS: "MCP.Contoso.com, localhost", MCP_ALLOWED_ORIGINS: "portal.contoso.com" });
    assert.deepEqual(config.mcp.allowedHosts, ["mcp.contoso.com", "localhost"]);
    assert.deepEqual(config.mcp.allowedOriginHosts, ["portal.contoso.com"]);
  });

  it("declares every setting it reads, with a description", () => {
    for (const [name, spec] of Object.entries(SETTINGS)) {
      assert.ok(spec.description.length > 20, `${name} has a description`);
    }
  });
});

describe("Entra configuration", () => {
  const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const clientId = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

  it("derives the identifier URI and default scope, lower-casing ids", () => {
    const config = loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: clientId });
    assert.equal(config.entra?.clientId, clientId.toLowerCase());
    assert.equal(config.entra?.identifierUri, `api://${clientId.toLowerCase()}`);
    assert.deepEqual(config.entra?.apiScopes, ["mcp.access"]);
    assert.deepEqual(config.entra?.allowedTenants, [tenant]);
    assert.equal(config.entra?.authorityHost.origin, "https://login.microsoftonline.com");
    assert.equal(config.entra?.multiTenant, false);
  });

  it("needs an allow-list of tenant GUIDs for a multi-tenant app", () => {
    assert.equal(configError({ AUTH_MODE: "direct", ENTRA_TENANT_ID: "organizations", ENTRA_CLIENT_ID: clientId }).setting, "ENTRA_ALLOWED_TENANTS");
    assert.equal(
      configError({ AUTH_MODE: "direct", ENTRA_TENANT_ID: "organizations", ENTRA_CLIENT_ID: clientId, ENTRA_ALLOWED_TENANTS: "contoso.com" }).setting,
      "ENTRA_ALLOWED_TENANTS",
    );
    const config = loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: "organizations", ENTRA_CLIENT_ID: clientId, ENTRA_ALLOWED_TENANTS: `${tenant.toUpperCase()}` });
    assert.deepEqual(config.entra?.allowedTenants, [tenant]);
    assert.equal(config.entra?.multiTenant, true);
  });

  it("names each missing or malformed Entra setting", () => {
    const base = { AUTH_MODE: "direct", ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: clientId };
    const cases: Array<[Record<string, string>, string]> = [
      [{ ENTRA_TENANT_ID: "" }, "ENTRA_TENANT_ID"],
      [{ ENTRA_TENANT_ID: "contoso.onmicrosoft.com" }, "ENTRA_TENANT_ID"],
      [{ ENTRA_CLIENT_ID: "" }, "ENTRA_CLIENT_ID"],
      [{ ENTRA_CLIENT_ID: "my-app" }, "ENTRA_CLIENT_ID"],
      [{ ENTRA_IDENTIFIER_URI: "not a uri" }, "ENTRA_IDENTIFIER_URI"],
      [{ ENTRA_API_SCOPES: "api://x/mcp.access" }, "ENTRA_API_SCOPES"],
      [{ ENTRA_AUTHORITY_HOST: "http://login.example" }, "ENTRA_AUTHORITY_HOST"],
      [{ ENTRA_AUTHORITY_HOST: "http://localhost:8443" }, "ENTRA_AUTHORITY_HOST"],
      [{ ENTRA_JWKS_COOLDOWN_SECONDS: "soon" }, "ENTRA_JWKS_COOLDOWN_SECONDS"],
      [{ APP_CALLERS: "nightly-report" }, "APP_CALLERS"],
      [{ APP_CALLERS: `${clientId}, 1234` }, "APP_CALLERS"],
    ];
    for (const [env, setting] of cases) {
      assert.equal(configError({ ...base, ...env }).setting, setting, JSON.stringify(env));
    }
  });

  it("lists app callers lower-cased, and none by default", () => {
    const base = { AUTH_MODE: "direct", ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: clientId };
    assert.deepEqual(loadConfig(base).entra?.appCallers, []);
    const daemon = "DAE70000-0000-4000-8000-0000000000DA";
    assert.deepEqual(loadConfig({ ...base, APP_CALLERS: ` ${daemon} ,${tenant}` }).entra?.appCallers, [daemon.toLowerCase(), tenant]);
  });

  it("asks for downstream consent up front unless CONSENT=incremental", () => {
    const base = { AUTH_MODE: "proxy", ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: clientId };
    assert.equal(loadConfig(base).facade?.consent, "upfront");
    assert.equal(loadConfig({ ...base, CONSENT: "incremental" }).facade?.consent, "incremental");
  });

  it("keeps several scopes in order, the first being the base scope", () => {
    const config = loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: clientId, ENTRA_API_SCOPES: "mcp.access, orders.write" });
    assert.deepEqual(config.entra?.apiScopes, ["mcp.access", "orders.write"]);
  });
});
