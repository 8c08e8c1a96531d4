/**
 * The Azure Monitor path as it runs in Azure: the kit in a process of its own
 * (npm start's host) with APPLICATIONINSIGHTS_CONNECTION_STRING and an
 * Entra authentication string, the distro exporting to a fake ingestion
 * endpoint over HTTPS (the development certificate), with a bearer token the
 * fake managed identity endpoint issued. The child may reach loopback only
 * (dev/loopback-only.ts).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { decodeJwt } from "jose";
import { KIT_DEV_CLIENT_SECRET, RUNTIME_IDENTITY } from "../../dev/defaults.js";
import { startFakeIngestion, type Envelope, type FakeIngestion } from "../../dev/app-insights/fake-ingestion.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from "../../dev/managed-identity/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { proxyEnv } from "../support/facade.js";
import { startHostProcess, type HostProcess } from "../support/host-process.js";
import { callTool } from "../support/mcp-calls.js";
import { fragmentsOf } from "../support/secret-harvest.js";
import { telemetryStartedIn } from "../support/telemetry.js";

const LOOPBACK_ONLY = fileURLToPath(new URL("../../dev/loopback-only.js", import.meta.url));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const requestNamed = (name: string) => (envelope: Envelope) => envelope.data?.baseType === "RequestData" && envelope.data.baseData?.["name"] === name;

describe("telemetry to Azure Monitor: the distro, Entra authentication, a fake ingestion endpoint", function () {
  this.timeout(90_000);
  let standIn: EntraStandIn;
  let identity: ManagedIdentityEndpoint;
  let ingestion: FakeIngestion;
  let graph: FakeGraph;
  let host: HostProcess;
  const instrumentationKey = randomUUID();

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    identity = await startManagedIdentityEndpoint({ entra: standIn });
    ingestion = await startFakeIngestion();
    graph = await startFakeGraph({ entra: standIn });
    host = await startHostProcess({
      nodeArgs: ["--import", LOOPBACK_ONLY],
      startTimeoutMs: 40_000,
      env: {
        ...proxyEnv(standIn),
        ...identity.env(),
        GRAPH_BASE_URL: graph.graphBaseUrl,
        APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString(instrumentationKey),
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${RUNTIME_IDENTITY.clientId};Authorization=AAD`,
        // Exports within a second instead of 5 s (spans) and 60 s (metrics); no SDK statistics to Microsoft.
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_METRIC_EXPORT_INTERVAL: "1000",
        APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
        LOG_LEVEL: "info",
      },
    });
    await telemetryStartedIn(host);
  });
  after(async () => {
    await host?.stop();
    await Promise.all([graph?.close(), ingestion?.close(), identity?.close(), standIn?.close()]);
  });

  it("sends the request span, its children and the metrics, authenticated with the runtime identity's token, and no credential", async () => {
    const token = await standIn.mintAccessToken({ user: "alice" });
    const answer = await callTool(new URL("/mcp", host.baseUrl), token, "graph_me");
    assert.equal(answer.isError, false, answer.text + host.output());

    const request = await until("the tools/call request envelope", () => ingestion.envelopes.find(requestNamed("tools/call graph_me")));
    assert.equal(request.iKey, instrumentationKey);
    const dimensions = request.data!.baseData!["properties"] as Record<string, string>;
    assert.equal(dimensions["mcp.method.name"], "tools/call");
    assert.equal(dimensions["gen_ai.tool.name"], "graph_me");
    assert.equal(dimensions["kit.outcome"], "ok");
    assert.equal(request.data!.baseData!["success"], true);
    const operation = request.tags!["ai.operation.id"];
    const inTrace = await until("the request's dependencies", () => {
      const found = ingestion.envelopes.filter((envelope) => envelope.tags?.["ai.operation.id"] === operation && envelope.data?.baseType === "RemoteDependencyData");
      return found.length >= 4 ? found : undefined;
    });
    const names = inTrace.map((envelope) => String(envelope.data!.baseData!["name"]));
    for (const name of ["kit.token.validate", "kit.obo.exchange", "GET"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    await until("the metrics", () => ingestion.envelopes.find((envelope) => envelope.data?.baseType === "MetricData" && JSON.stringify(envelope.data.baseData).includes("kit.tool.calls")));

    // Every batch carried the runtime identity's token for Azure Monitor, from the identity endpoint.
    assert.ok(ingestion.batches.length > 0);
    const bearers = new Set(ingestion.batches.map((batch) => batch.authorization));
    assert.equal(bearers.size, 1, "one token, cached");
    const bearer = /^Bearer (\S+)$/.exec([...bearers][0] ?? "")?.[1];
    assert.ok(bearer !== undefined, `a bearer token, got ${[...bearers][0]}`);
    const claims = decodeJwt(bearer);
    assert.equal(claims["aud"], "https://monitor.azure.com");
    assert.equal(claims["oid"], RUNTIME_IDENTITY.principalId);
    assert.ok(identity.requests.some((record) => record.resource === "https://monitor.azure.com" && record.clientId === RUNTIME_IDENTITY.clientId && record.status === 200));

    // No credential of the run in anything that was sent.
    const sent = ingestion.batches.map((batch) => batch.text).join("\n");
    const oboToken = graph.accepted.length === 1 ? undefined : "missing";
    assert.equal(oboToken, undefined, "Graph was called once");
    const credentials: Array<[string, string]> = [
      ["the caller's access token", token],
      ["the ingestion bearer token", bearer],
      ["the identity endpoint's header secret", identity.identityHeader],
      ["the app's client secret", KIT_DEV_CLIENT_SECRET],
    ];
    for (const [what, secret] of credentials) {
      for (const fragment of fragmentsOf(secret)) assert.ok(!sent.includes(fragment), `${what} (${fragment.slice(0, 6)}…) was sent to Application Insights`);
    }
    assert.doesNotMatch(sent, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, "no JWT-shaped value was sent");
  });
});
