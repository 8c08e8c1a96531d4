/**
 * Telemetry settings, the refusal reasons of the token check, and the spans
 * and counters of the secret cache and the shared OBO cache's health, read
 * from the suite's in-memory telemetry (support/telemetry.ts).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfigError, loadConfig, type Environment } from "../../lib/config.js";
import { SharedLayerHealth } from "../../lib/cache/health.js";
import { silentLogger } from "../../lib/log.js";
import { CachedSecretSource } from "../../lib/secrets/cache.js";
import { ATTR, METRIC } from "../../lib/telemetry/names.js";
import { refusalReason } from "../../lib/telemetry/runtime.js";
import { suiteTelemetry } from "../support/telemetry.js";

const IKEY = "0c0ffee0-0000-4000-8000-000000000a11";
const CONNECTION = `InstrumentationKey=${IKEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`;

function telemetryOf(env: Environment) {
  return loadConfig({ AUTH_MODE: "none", ...env }).telemetry;
}

function configError(env: Environment): ConfigError {
  try {
    loadConfig({ AUTH_MODE: "none", ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("accepted");
}

describe("telemetry settings", () => {
  it("is off unless a setting turns it on", () => {
    assert.deepEqual(telemetryOf({}), { exporter: "off" });
    assert.deepEqual(telemetryOf({ OTEL_TRACES_EXPORTER: "none" }), { exporter: "off" });
  });

  it("exports to Azure Monitor with a connection string, with Entra authentication by the identity the authentication string names", () => {
    assert.deepEqual(telemetryOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION }), { exporter: "azure-monitor", serviceName: "mcp-functions-kit", connectionString: CONNECTION });
    assert.deepEqual(telemetryOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" }), {
      exporter: "azure-monitor",
      serviceName: "mcp-functions-kit",
      connectionString: CONNECTION,
      entra: {},
    });
    const withClient = telemetryOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=9E0E0000-0000-4000-8000-0000000000E1;Authorization=AAD", OTEL_SERVICE_NAME: "contoso-mcp" });
    assert.deepEqual(withClient, { exporter: "azure-monitor", serviceName: "contoso-mcp", connectionString: CONNECTION, entra: { managedIdentityClientId: "9e0e0000-0000-4000-8000-0000000000e1" } });
  });

  it("exports to OTLP or the console locally", () => {
    const otlp = telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318", OTEL_METRIC_EXPORT_INTERVAL: "5000" });
    assert.equal(otlp.exporter, "otlp");
    assert.equal(otlp.exporter === "otlp" ? otlp.metricIntervalMs : 0, 5000);
    assert.equal(otlp.exporter === "otlp" ? otlp.endpoint.href : "", "http://localhost:4318/");
    assert.equal(telemetryOf({ OTEL_TRACES_EXPORTER: "console" }).exporter, "console");
    const defaulted = telemetryOf({ OTEL_TRACES_EXPORTER: "otlp" });
    assert.equal(defaulted.exporter === "otlp" ? defaulted.endpoint.href : "", "http://localhost:4318/");
  });

  it("OTEL_SDK_DISABLED=true wins over everything", () => {
    assert.deepEqual(telemetryOf({ OTEL_SDK_DISABLED: "true", APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION }), { exporter: "off" });
  });

  it("names the setting for each bad value, without repeating a connection string", () => {
    const cases: Array<[Environment, string, RegExp]> = [
      [{ APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=not-a-guid" }, "APPLICATIONINSIGHTS_CONNECTION_STRING", /no InstrumentationKey GUID/],
      [{ APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=http://in.example/` }, "APPLICATIONINSIGHTS_CONNECTION_STRING", /not an https URL/],
      [{ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=Key" }, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", /Authorization=AAD/],
      [{ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=abc;Authorization=AAD" }, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", /expected a GUID/],
      [{ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" }, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", /APPLICATIONINSIGHTS_CONNECTION_STRING is not/],
      [{ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT", /set one or the other/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT", /http is accepted locally/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }, "OTEL_EXPORTER_OTLP_ENDPOINT", /base URL/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://user:pw@collector.example:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT", /without credentials/],
      [{ OTEL_TRACES_EXPORTER: "zipkin" }, "OTEL_TRACES_EXPORTER", /one of otlp, console, none/],
      [{ OTEL_SDK_DISABLED: "yes" }, "OTEL_SDK_DISABLED", /true or false/],
      [{ OTEL_TRACES_EXPORTER: "console", OTEL_METRIC_EXPORT_INTERVAL: "soon" }, "OTEL_METRIC_EXPORT_INTERVAL", /milliseconds/],
    ];
    for (const [env, setting, message] of cases) {
      const error = configError(env);
      assert.equal(error.setting, setting, JSON.stringify(env));
      assert.match(error.message, message);
      assert.ok(!error.message.includes(IKEY), "the connection string is not repeated");
    }
    const azure = {
      AUTH_MODE: "direct",
      ENTRA_TENANT_ID: "11111111-1111-4111-8111-111111111111",
      ENTRA_CLIENT_ID: "22222222-2222-4222-8222-222222222222",
      APP_CREDENTIAL: "secret",
      WEBSITE_INSTANCE_ID: "instance",
      WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net",
    };
    assert.equal(loadConfig({ ...azure, OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318" }).telemetry.exporter, "otlp");
    let refused: unknown;
    try {
      loadConfig({ ...azure, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.example:4318" });
    } catch (error) {
      refused = error;
    }
    assert.ok(refused instanceof ConfigError && refused.setting === "OTEL_EXPORTER_OTLP_ENDPOINT" && /expected an https URL/.test(refused.message), String(refused));
  });
});

describe("telemetry: what the instrumentation records", () => {
  it("maps every refusal message of the token validator to a reason of its own", () => {
    const source = readFileSync(new URL("../../../lib/entra/access-token.ts", import.meta.url), "utf8");
    const messages = [...source.matchAll(/InvalidTokenError\(\s*"([^"]+)"/g), ...source.matchAll(/return "(The token[^"]+)"/g)].map((match) => match[1]!);
    assert.ok(messages.length >= 12, `${messages.length} messages found`);
    const unmapped = messages.filter((message) => refusalReason(message) === "other");
    assert.deepEqual(unmapped, []);
    assert.equal(refusalReason("The token's azp claim is missing or invalid."), "claim");
    assert.equal(refusalReason("Something new."), "other");
    assert.equal(new Set(messages.map(refusalReason)).size >= 12, true);
  });

  it("a secret read from the vault is a span naming the secret, never its value", async () => {
    const value = "vault-value-that-must-stay-out-0123456789";
    const source = new CachedSecretSource("test vault", async () => ({ kind: "value", value, version: "v1" }), silentLogger);
    const before = suiteTelemetry.spans().length;
    assert.equal(await source.get("telemetry-probe"), value);
    assert.equal(await source.get("telemetry-probe"), value, "the second read comes from the cache");
    const reads = suiteTelemetry.spans().slice(before).filter((span) => span.name === "kit.secret.read");
    assert.equal(reads.length, 1, "one read reached the vault");
    assert.equal(reads[0]!.attributes[ATTR.secretName], "telemetry-probe");
    assert.equal(reads[0]!.attributes[ATTR.secretResult], "value");
    assert.ok(!JSON.stringify(reads[0]!.attributes).includes(value));
  });

  it("counts shared cache outages, recoveries and rejected values", async () => {
    let clock = 1_000_000;
    const health = new SharedLayerHealth({ log: silentLogger, store: "redis", now: () => clock });
    const count = (event: string) => suiteTelemetry.metric(METRIC.sharedCacheEvents.name, { [ATTR.cacheStore]: "redis", [ATTR.cacheEvent]: event });
    const before = { unavailable: await count("unavailable"), recovered: await count("recovered"), rejected: await count("value_rejected") };
    health.failed(health.begin()!, new Error("down"));
    health.failed({ outage: 1, probe: false }, new Error("still down"));
    clock += 10_000;
    health.succeeded(health.begin()!);
    health.rejected(health.begin()!, new Error("tampered"));
    health.rejected(health.begin()!, new Error("tampered again"));
    assert.equal(await count("unavailable"), before.unavailable + 1, "one outage");
    assert.equal(await count("recovered"), before.recovered + 1);
    assert.equal(await count("value_rejected"), before.rejected + 2, "every rejection counts, although only the first is logged");
  });
});
