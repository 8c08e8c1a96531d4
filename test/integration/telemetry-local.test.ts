/**
 * Telemetry in processes of their own: off, nothing of OpenTelemetry loads
 * when the function app is imported; on, it loads after the import, in the
 * background; `npm start` exports to an OTLP endpoint or prints on the
 * console.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { appEntry } from "../support/app-entry.js";
import { startHostProcess } from "../support/host-process.js";
import { callTool } from "../support/mcp-calls.js";
import { telemetryStartedIn } from "../support/telemetry.js";

const run = promisify(execFile);
/** What Azure Functions loads: package.json `main`, the bundled app (scripts/bundle-app.ts). */
const APP = appEntry();
const TELEMETRY = fileURLToPath(new URL("../../lib/telemetry/index.js", import.meta.url));
const IMPORT_PROBE = fileURLToPath(new URL("../../bench/servers/import-probe.js", import.meta.url));
const LOOPBACK_ONLY = fileURLToPath(new URL("../../dev/loopback-only.js", import.meta.url));
const OTEL_PACKAGE = /^@opentelemetry\/|^@azure\/monitor-opentelemetry/;

/** Only what the child needs: the suite's own settings stay out. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "", AUTH_MODE: "none", LOG_LEVEL: "warn", ...extra };
}

describe("telemetry: loading, and export from npm start", function () {
  this.timeout(60_000);

  it("off (the default): importing the function app loads no OpenTelemetry package", async () => {
    const { stdout } = await run(process.execPath, [IMPORT_PROBE, APP, "--audit"], { env: childEnv({}) });
    const { packages } = JSON.parse(stdout.trim().split("\n").pop()!) as { packages: string[] };
    assert.ok(packages.includes("@modelcontextprotocol/server"), "the audit sees the app's packages");
    assert.deepEqual(packages.filter((name) => OTEL_PACKAGE.test(name)), []);
  });

  it("on: the import returns before OpenTelemetry is loaded, which then loads in the background", async () => {
    const script = `
      const telemetry = await import(${JSON.stringify(TELEMETRY)});
      await import(${JSON.stringify(APP)});
      const atImport = telemetry.telemetryActive();
      const started = Date.now();
      while (!telemetry.telemetryActive() && Date.now() - started < 30000) await new Promise((resolve) => setTimeout(resolve, 20));
      process.stdout.write("\\nRESULT " + JSON.stringify({ atImport, later: telemetry.telemetryActive() }));
      process.exit(0);
    `;
    const { stdout } = await run(process.execPath, ["--import", LOOPBACK_ONLY, "--input-type=module", "-e", script], {
      env: childEnv({
        APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=0c0ffee0-0000-4000-8000-000000000a11;IngestionEndpoint=https://127.0.0.1:9/",
        APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
      }),
    });
    assert.deepEqual(JSON.parse(stdout.slice(stdout.lastIndexOf("RESULT ") + 7)), { atImport: false, later: true });
  });

  describe("npm start", () => {
    let receiver: Server;
    let receiverUrl: string;
    const received: Array<{ path: string; body: string }> = [];
    before(async () => {
      receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          received.push({ path: request.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
          response.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
      const address = receiver.address();
      receiverUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    });
    after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

    it("exports spans and metrics to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP)", async () => {
      const host = await startHostProcess({
        env: { AUTH_MODE: "none", LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_SERVICE_NAME: "kit-under-test", OTEL_BSP_SCHEDULE_DELAY: "200", OTEL_METRIC_EXPORT_INTERVAL: "500" },
      });
      try {
        await telemetryStartedIn(host);
        const answer = await callTool(new URL("/mcp", host.baseUrl), undefined, "echo", { message: "hello" });
        assert.equal(answer.isError, false, answer.text);
        const deadline = Date.now() + 20_000;
        const has = (path: string, text: string) => received.some((entry) => entry.path === path && entry.body.includes(text));
        while (!(has("/v1/traces", '"tools/call echo"') && has("/v1/metrics", "kit.tool.calls")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(has("/v1/traces", '"tools/call echo"'), `spans: ${received.map((entry) => entry.path).join(", ")}\n${host.output()}`);
        assert.ok(has("/v1/traces", "kit-under-test"), "with the service name");
        assert.ok(has("/v1/metrics", "kit.tool.calls"), "and the metrics");
        assert.ok(!received.some((entry) => entry.body.includes("hello")), "the tool's argument is never exported");
      } finally {
        await host.stop();
      }
    });

    it("prints spans on the console with OTEL_TRACES_EXPORTER=console", async () => {
      const host = await startHostProcess({ env: { AUTH_MODE: "none", LOG_LEVEL: "info", OTEL_TRACES_EXPORTER: "console" } });
      try {
        await telemetryStartedIn(host);
        const answer = await callTool(new URL("/mcp", host.baseUrl), undefined, "echo", { message: "hello" });
        assert.equal(answer.isError, false, answer.text);
        const deadline = Date.now() + 10_000;
        while (!host.output().includes("tools/call echo") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.match(host.output(), /name: 'tools\/call echo'/);
        assert.match(host.output(), /'mcp\.method\.name': 'tools\/call'/);
      } finally {
        await host.stop();
      }
    });
  });
});
