/**
 * Tool schemas built once per tool (lib/mcp/schemas.ts), and the per-call
 * deadline, both checked through the real `/mcp` endpoint in process.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { loadConfig } from "../../lib/config.js";
import { silentLogger } from "../../lib/log.js";
import { createMcpEndpoint } from "../../lib/mcp/endpoint.js";
import { defineTool, type AnyTool } from "../../lib/mcp/index.js";
import { schemasOf } from "../../lib/mcp/schemas.js";

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "schema-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

const forecast = defineTool({
  name: "forecast",
  description: "Daily forecast",
  input: { city: z.string().min(1).describe("City"), days: z.number().int().min(1).max(7).default(3) },
  output: { city: z.string(), days: z.number() },
  async run({ city, days }) {
    return { city, days };
  },
});

async function post(tools: readonly AnyTool[], method: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const endpoint = createMcpEndpoint({ definition: { name: "t", version: "1", tools }, settings: loadConfig({ AUTH_MODE: "none" }).mcp, log: silentLogger, auth: { mode: "none" } });
  const request = new Request("http://localhost:7071/mcp", {
    method: "POST",
    headers: { host: "localhost:7071", "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: MODERN_META } }),
  });
  const response = await endpoint(request, { log: silentLogger, invocationId: "test" });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("tool schemas, built once per tool", () => {
  it("are the same objects for every request, and convert to the JSON Schema zod gives", () => {
    const first = schemasOf(forecast);
    assert.equal(schemasOf(forecast), first);
    const options = { target: "draft-2020-12" } as const;
    const json = first.input["~standard"].jsonSchema.input(options);
    assert.equal(first.input["~standard"].jsonSchema.input(options), json, "converted once");
    assert.deepEqual(json, z.object(forecast.input)["~standard"].jsonSchema.input(options));
    assert.deepEqual(first.output!["~standard"].jsonSchema.output(options), z.object(forecast.output!)["~standard"].jsonSchema.output(options));
  });

  it("validate as zod does: defaults applied, bad input refused with the field named", async () => {
    const good = await post([forecast], "tools/call", { name: "forecast", arguments: { city: "Oslo" } }, { "mcp-name": "forecast" });
    assert.deepEqual((good.body["result"] as { structuredContent: unknown }).structuredContent, { city: "Oslo", days: 3 });
    const bad = await post([forecast], "tools/call", { name: "forecast", arguments: { city: "", days: 9 } }, { "mcp-name": "forecast" });
    const text = JSON.stringify(bad.body);
    assert.match(text, /city/);
    assert.match(text, /days/);
  });

  it("are listed by tools/list exactly as before", async () => {
    const listed = await post([forecast], "tools/list", {});
    const tool = (listed.body["result"] as { tools: Array<{ inputSchema: Record<string, unknown>; outputSchema: Record<string, unknown> }> }).tools[0]!;
    assert.deepEqual(tool.inputSchema["required"], ["city"]);
    assert.deepEqual(Object.keys(tool.inputSchema["properties"] as object).sort(), ["city", "days"]);
    assert.equal(tool.outputSchema["type"], "object");
  });
});

describe("the per-call deadline", () => {
  it("ends a call that ignores its signal, aborting the signal with a TimeoutError first", async () => {
    let seen: unknown;
    const stuck = defineTool({
      name: "stuck",
      description: "Never finishes on its own",
      input: {},
      timeoutMs: 200,
      async run(_args, { signal }) {
        signal.addEventListener("abort", () => (seen = signal.reason), { once: true });
        return new Promise<string>(() => undefined);
      },
    });
    const started = Date.now();
    const answer = await post([stuck], "tools/call", { name: "stuck", arguments: {} }, { "mcp-name": "stuck" });
    const result = answer.body["result"] as { isError: boolean; content: Array<{ text: string }> };
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /stuck did not finish within 0 seconds and was stopped/);
    assert.ok(Date.now() - started < 2000);
    assert.ok(seen instanceof DOMException && seen.name === "TimeoutError", String(seen));
  });

  it("leaves no timer behind once a call is over", async () => {
    const quick = defineTool({ name: "quick", description: "Answers at once", input: {}, timeoutMs: 225_000, run: async () => "done" });
    const before = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    for (let call = 0; call < 20; call++) await post([quick], "tools/call", { name: "quick", arguments: {} }, { "mcp-name": "quick" });
    const after = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    assert.ok(after - before < 5, `${after - before} timers left behind by 20 calls`);
  });
});
