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
      [{ MCP_MAX_BODY_BYTES: "-1" }, "MCP_MAX_BODY_BYTES", /positive number of bytes/],
      [{ MCP_MAX_BODY_BYTES: "lots" }, "MCP_MAX_BODY_BYTES", /positive number of bytes/],
      [{ MCP_ALLOWED_HOSTS: "https://contoso.example" }, "MCP_ALLOWED_HOSTS", /host name/],
      [{ MCP_ALLOWED_ORIGINS: "contoso.example:8443" }, "MCP_ALLOWED_ORIGINS", /host name/],
      [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", /one of debug, info, warn, error/],
      [{ AUTH_MODE: "open" }, "AUTH_MODE", /one of proxy, direct, none/],
    ];
    for (const [env, setting, expected] of cases) {
      const error = configError({ AUTH_MODE: "none", ...env });
      assert.equal(error.setting, setting, JSON.stringify(env));
      assert.match(error.message, expected, JSON.stringify(env));
      assert.ok(error.message.includes(setting), "the message names the setting");
    }
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
