/**
 * Traces and metrics of real requests: an SDK client signed in through the
 * facade calls graph_me (On-Behalf-Of to the fake Graph); raw requests carry
 * a trace context in `_meta`. Telemetry records into the suite's in-memory
 * exporter and reader (support/telemetry.ts).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import azureFunctions, { type HttpResponseInit } from "@azure/functions";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { createEndpoints } from "../../functions/app.js";
import { loadConfig } from "../../lib/config.js";
import { silentLogger } from "../../lib/log.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { defineTool, ToolError } from "../../lib/mcp/index.js";
import { currentTraceMeta } from "../../lib/telemetry/index.js";
import { ATTR, METRIC } from "../../lib/telemetry/names.js";
import { serverInfo, tools } from "../../tools/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool, MODERN_META } from "../support/mcp-calls.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";
import { suiteTelemetry } from "../support/telemetry.js";

const ARGUMENT_MARKER = "argument-that-must-stay-out-of-telemetry";

/** A W3C trace context of the test's own: a fresh trace id and parent span id. */
function clientTraceContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const children = (spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] => spans.filter((span) => parentOf(span) === parent.spanContext().spanId);
function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  assert.equal(found.length, 1, `one ${name} span expected, got ${found.length}: ${spans.map((span) => span.name).join(", ")}`);
  return found[0]!;
}

/** Test tools: one that reports the trace context it would forward, one that fails, one with an argument. */
const traceProbe = defineTool({
  name: "trace_probe",
  description: "Returns the trace context a downstream MCP request would carry",
  input: { note: z.string().optional() },
  async run() {
    return JSON.stringify(currentTraceMeta());
  },
});
const failing = defineTool({
  name: "always_fails",
  description: "Fails with a tool error",
  input: {},
  async run() {
    throw new ToolError("This tool always fails.");
  },
});

describe("telemetry: traces and metrics of real requests", function () {
  this.timeout(120_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    process.env["GRAPH_BASE_URL"] = graph.graphBaseUrl;
    kit = await startProxyKit(standIn, { server: { ...serverInfo, tools: [...tools, traceProbe, failing] } });
  });
  after(async () => {
    delete process.env["GRAPH_BASE_URL"];
    await kit?.close();
    await graph?.close();
    await standIn?.close();
  });
  beforeEach(() => graph.reset());

  it("a graph_me call through a real sign-in is one trace: request → token check → On-Behalf-Of → Graph, whose traceparent names the fetch span; the second call hits the cache", async () => {
    const started = Date.now();
    const signInsStarted = await suiteTelemetry.metric(METRIC.signIns.name, { [ATTR.signInStage]: "started" });
    const signInsCompleted = await suiteTelemetry.metric(METRIC.signIns.name, { [ATTR.signInStage]: "completed" });
    const provider = new HeadlessOAuthProvider({
      redirectUrl: "http://127.0.0.1:45679/callback",
      clientMetadata: { client_name: "Telemetry e2e", redirect_uris: ["http://127.0.0.1:45679/callback"], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user: "alice" }),
    });
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    const before = {
      entra: await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "entra", [ATTR.outcome]: "ok" }),
      memory: await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "memory", [ATTR.outcome]: "ok" }),
      calls: await suiteTelemetry.metric(METRIC.toolCalls.name, { [ATTR.toolName]: "graph_me", [ATTR.outcome]: "ok" }),
      remembered: await suiteTelemetry.metric(METRIC.tokenValidations.name, { [ATTR.tokenCheck]: "remembered", [ATTR.tokenOutcome]: "accepted" }),
      durations: await suiteTelemetry.metric(METRIC.mcpDuration.name, { [ATTR.mcpMethod]: "tools/call", [ATTR.toolName]: "graph_me" }),
    };
    try {
      const first = await client.callTool("graph_me", {});
      assert.equal(first.isError, undefined, JSON.stringify(first));
      assert.equal(await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "entra", [ATTR.outcome]: "ok" }), before.entra + 1);
      assert.equal(await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "memory", [ATTR.outcome]: "ok" }), before.memory);
      const second = await client.callTool("graph_me", {});
      assert.equal(second.isError, undefined, JSON.stringify(second));
    } finally {
      await client.close();
    }

    // The facade's steps and the sign-in counters.
    assert.equal(await suiteTelemetry.metric(METRIC.signIns.name, { [ATTR.signInStage]: "started" }), signInsStarted + 1);
    assert.equal(await suiteTelemetry.metric(METRIC.signIns.name, { [ATTR.signInStage]: "completed" }), signInsCompleted + 1);
    const facadeSteps = suiteTelemetry.spans().filter((span) => span.startTime[0] * 1000 >= started - 1000 && span.name.startsWith("kit.oauth."));
    for (const step of ["kit.oauth.register", "kit.oauth.authorize", "kit.oauth.consent", "kit.oauth.callback", "kit.oauth.token"]) {
      assert.ok(facadeSteps.some((span) => span.name === step), `${step} in ${facadeSteps.map((span) => span.name).join(", ")}`);
    }

    // The first call's trace, found from the traceparent Graph received.
    assert.equal(graph.accepted.length, 2);
    const traceparent = graph.accepted[0]!.traceparent;
    assert.match(traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, "Graph received a W3C traceparent");
    const [, traceId, fetchSpanId] = traceparent!.split("-");
    const trace = suiteTelemetry.spansOf(traceId!);
    const request = only(trace, "tools/call graph_me");
    assert.equal(request.kind, SpanKind.SERVER);
    assert.equal(request.attributes[ATTR.mcpMethod], "tools/call");
    assert.equal(request.attributes[ATTR.toolName], "graph_me");
    assert.equal(request.attributes[ATTR.mcpProtocolVersion], "2026-07-28");
    assert.equal(request.attributes[ATTR.outcome], "ok");
    const underRequest = children(trace, request);
    const validation = only(underRequest, "kit.token.validate");
    assert.equal(validation.attributes[ATTR.tokenOutcome], "accepted");
    assert.ok(validation.startTime[0] * 1e9 + validation.startTime[1] >= request.startTime[0] * 1e9 + request.startTime[1], "the token check starts within the request");
    const obo = only(underRequest, "kit.obo.exchange");
    assert.equal(obo.attributes[ATTR.oboLayer], "entra");
    assert.equal(obo.attributes[ATTR.oboApi], "https://graph.microsoft.com");
    const entraCall = only(children(trace, obo), "POST");
    assert.equal(entraCall.kind, SpanKind.CLIENT);
    assert.equal(entraCall.attributes[ATTR.entraGrant], "on_behalf_of");
    assert.equal(entraCall.attributes[ATTR.httpStatus], 200);
    const downstream = underRequest.find((span) => span.kind === SpanKind.CLIENT);
    assert.ok(downstream !== undefined, "a client span for the Graph call");
    assert.equal(downstream.spanContext().spanId, fetchSpanId, "Graph's traceparent names the kit's fetch span as parent");
    assert.equal(downstream.attributes[ATTR.serverAddress], new URL(graph.graphBaseUrl).host);
    assert.equal(downstream.attributes[ATTR.httpStatus], 200);

    // The second call: the remembered token check, the On-Behalf-Of token from memory.
    const secondTrace = suiteTelemetry.spansOf(graph.accepted[1]!.traceparent!.split("-")[1]!);
    assert.equal(only(secondTrace, "kit.obo.exchange").attributes[ATTR.oboLayer], "memory");
    assert.equal(only(secondTrace, "kit.token.validate").attributes[ATTR.tokenCheck], "remembered");
    assert.equal(await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "entra", [ATTR.outcome]: "ok" }), before.entra + 1, "no second request to Entra");
    assert.equal(await suiteTelemetry.metric(METRIC.oboRequests.name, { [ATTR.oboLayer]: "memory", [ATTR.outcome]: "ok" }), before.memory + 1);
    assert.equal(await suiteTelemetry.metric(METRIC.toolCalls.name, { [ATTR.toolName]: "graph_me", [ATTR.outcome]: "ok" }), before.calls + 2);
    const remembered = await suiteTelemetry.metric(METRIC.tokenValidations.name, { [ATTR.tokenCheck]: "remembered", [ATTR.tokenOutcome]: "accepted" });
    // At least the second call's: the first call after the kit's first key fetch is checked in full again (the remembered
    // validation was stored under the key set version from before the fetch).
    assert.ok(remembered >= before.remembered + 1, `${remembered} remembered token checks, ${before.remembered} before`);
    assert.equal(await suiteTelemetry.metric(METRIC.mcpDuration.name, { [ATTR.mcpMethod]: "tools/call", [ATTR.toolName]: "graph_me" }), before.durations + 2);
  });

  it("the first token check of a fresh kit fetches the signing keys, as a child of the check", async () => {
    const fresh = await startProxyKit(standIn);
    try {
      const answer = await callTool(fresh.mcpUrl, await standIn.mintAccessToken({ user: "bob" }), "whoami");
      assert.equal(answer.isError, false, answer.text);
      const requestSpan = suiteTelemetry.spans().filter((span) => span.name === "tools/call whoami").at(-1)!;
      const trace = suiteTelemetry.spansOf(requestSpan.spanContext().traceId);
      const validation = only(children(trace, requestSpan), "kit.token.validate");
      assert.equal(validation.attributes[ATTR.tokenCheck], "verified");
      const keys = only(children(trace, validation), "GET");
      assert.equal(keys.attributes[ATTR.serverAddress], new URL(standIn.origin).host);
      assert.equal(keys.attributes[ATTR.httpStatus], 200);
    } finally {
      await fresh.close();
    }
  });

  it("a trace context in _meta becomes the parent of the request span, which links the transport's context; a tool's currentTraceMeta() carries it on", async () => {
    const client = clientTraceContext();
    const transport = clientTraceContext();
    const token = await standIn.mintAccessToken({ user: "alice" });
    const response = await fetch(kit.mcpUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "trace_probe",
        traceparent: transport.traceparent,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "trace_probe", arguments: { note: ARGUMENT_MARKER }, _meta: { ...MODERN_META, traceparent: client.traceparent, tracestate: "vendor=abc" } },
      }),
    });
    const body = (await response.json()) as { result: { content: Array<{ text: string }> } };
    assert.equal(response.status, 200);

    const trace = suiteTelemetry.spansOf(client.traceId);
    const request = only(trace, "tools/call trace_probe");
    assert.equal(parentOf(request), client.spanId, "the client's span is the parent");
    assert.deepEqual(
      request.links.map((link) => link.context.spanId),
      [transport.spanId],
      "the HTTP request's own trace context is linked",
    );
    assert.ok(children(trace, request).some((span) => span.name === "kit.token.validate"), "the token check, made before the body was read, is in the client's trace");
    assert.equal(suiteTelemetry.spansOf(transport.traceId).length, 0, "nothing of the request stayed in the transport's trace");

    const forwarded = JSON.parse(body.result.content[0]!.text) as { traceparent?: string; tracestate?: string };
    assert.equal(forwarded.traceparent, `00-${client.traceId}-${request.spanContext().spanId}-01`);
    assert.equal(forwarded.tracestate, "vendor=abc");
    for (const span of trace) {
      assert.ok(!JSON.stringify(span.attributes).includes(ARGUMENT_MARKER), `${span.name} carries no argument`);
      assert.ok(!JSON.stringify(span.attributes).includes(token.split(".")[2]!.slice(0, 16)), `${span.name} carries no token`);
    }
  });

  it("a malformed trace context in _meta is ignored: the request is served and traced on its own", async () => {
    const response = await fetch(kit.mcpUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "whoami" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {}, _meta: { ...MODERN_META, traceparent: "00-not-a-trace-01" } } }),
    });
    assert.equal(response.status, 200, await response.text());
    const request = suiteTelemetry.spans().filter((span) => span.name === "tools/call whoami").at(-1)!;
    assert.equal(parentOf(request), undefined);
  });

  it("a tool error, an unknown tool and a refused token each end with their own outcome", async () => {
    const token = await standIn.mintAccessToken({ user: "alice" });
    const failures = await suiteTelemetry.metric(METRIC.toolCalls.name, { [ATTR.toolName]: "always_fails", [ATTR.outcome]: "tool_error" });
    const failed = await callTool(kit.mcpUrl, token, "always_fails");
    assert.equal(failed.isError, true);
    assert.equal(await suiteTelemetry.metric(METRIC.toolCalls.name, { [ATTR.toolName]: "always_fails", [ATTR.outcome]: "tool_error" }), failures + 1);
    const failedSpan = suiteTelemetry.spans().filter((span) => span.name === "tools/call always_fails").at(-1)!;
    assert.equal(failedSpan.attributes[ATTR.errorType], "tool_error");
    assert.equal(failedSpan.status.code, 2);

    // A tool name the server does not have is never a span name or a label.
    const unknownName = `no_such_tool_${randomBytes(4).toString("hex")}`;
    await callTool(kit.mcpUrl, token, unknownName);
    const unknown = suiteTelemetry.spans().filter((span) => span.name === "tools/call other").at(-1)!;
    assert.equal(unknown.attributes[ATTR.toolName], "other");
    assert.ok(!(await suiteTelemetry.strings()).some((text) => text.includes(unknownName)));

    const refusedBefore = await suiteTelemetry.metric(METRIC.tokenValidations.name, { [ATTR.tokenOutcome]: "refused", [ATTR.tokenRefusal]: "not_jwt" });
    const refused = await callTool(kit.mcpUrl, "not-a-jwt-at-all", "whoami");
    assert.equal(refused.status, 401);
    assert.equal(await suiteTelemetry.metric(METRIC.tokenValidations.name, { [ATTR.tokenOutcome]: "refused", [ATTR.tokenRefusal]: "not_jwt" }), refusedBefore + 1);
    const refusedSpan = suiteTelemetry.spans().filter((span) => span.name === "POST /mcp").at(-1)!;
    assert.equal(refusedSpan.attributes[ATTR.httpStatus], 401);
    const check = only(children(suiteTelemetry.spansOf(refusedSpan.spanContext().traceId), refusedSpan), "kit.token.validate");
    assert.equal(check.attributes[ATTR.tokenRefusal], "not_jwt");
  });

  it("under the Functions host, the kit's spans sit under the host's request (the invocation's trace context)", async () => {
    const host = clientTraceContext();
    const endpoints = createEndpoints({ config: loadConfig({ AUTH_MODE: "none" }), server: { ...serverInfo, tools }, log: silentLogger });
    const mcp = endpoints.find((endpoint) => endpoint.name === "mcp")!;
    const request = new azureFunctions.HttpRequest({
      method: "POST",
      url: "http://localhost:7071/mcp",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", host: "localhost:7071", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" },
      body: { string: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "hi" }, _meta: MODERN_META } }) },
    });
    const invocation = new azureFunctions.InvocationContext({ invocationId: "host-correlation", functionName: "mcp", traceContext: { traceParent: host.traceparent, traceState: "" } });
    const response = (await mcp.handler(request, invocation)) as HttpResponseInit;
    assert.equal(response.status, 200);
    assert.match(await new Response(response.body as ReadableStream<Uint8Array>).text(), /"text":"hi"/);
    const span = only(suiteTelemetry.spansOf(host.traceId), "tools/call echo");
    assert.equal(parentOf(span), host.spanId);
  });
});
