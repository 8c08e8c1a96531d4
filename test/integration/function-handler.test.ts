/**
 * Drives the function handlers the way the Azure Functions worker does:
 * `@azure/functions` `HttpRequest` in, `HttpResponseInit` out, no HTTP server.
 */
import assert from "node:assert/strict";
import azureFunctions, { type HttpHandler, type HttpResponseInit } from "@azure/functions";
import { createEndpoints } from "../../functions/app.js";
import { toHttpHandler } from "../../lib/adapter/azure-functions.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/log.js";
import { serverInfo, tools } from "../../tools/index.js";
import { LogCapture } from "../support/log-capture.js";

const { HttpRequest, InvocationContext } = azureFunctions;

const config = loadConfig({ AUTH_MODE: "none" });
const logs = new LogCapture();
const endpoints = createEndpoints({ config, server: { ...serverInfo, tools }, log: createLogger("debug", logs.sink) });

function handlerOf(name: string): HttpHandler {
  const endpoint = endpoints.find((candidate) => candidate.name === name);
  assert.ok(endpoint, `endpoint ${name} exists`);
  return endpoint.handler;
}

function invocation(): InstanceType<typeof InvocationContext> {
  return new InvocationContext({ invocationId: "test-invocation", functionName: "test", logHandler: (level, ...args) => logs.add(level, args.join(" ")) });
}

async function bodyText(response: HttpResponseInit): Promise<string> {
  return new Response(response.body as ReadableStream<Uint8Array> | null).text();
}

describe("function handlers under the Functions programming model", () => {
  it("serve a 2025-11-25 initialize posted as an HttpRequest", async () => {
    const request = new HttpRequest({
      method: "POST",
      url: "http://localhost:7071/mcp",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", host: "localhost:7071" },
      body: {
        string: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "worker-test", version: "1" } },
        }),
      },
    });
    const response = (await handlerOf("mcp")(request, invocation())) as HttpResponseInit;
    assert.equal(response.status, 200);
    const text = await bodyText(response);
    assert.match(text, /"protocolVersion":"2025-11-25"/);
    assert.match(text, /"name":"mcp-functions-kit"/);
  });

  it("serve a 2026-07-28 tools/call posted as an HttpRequest", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "worker-test", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const request = new HttpRequest({
      method: "POST",
      url: "http://localhost:7071/mcp",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        host: "localhost:7071",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "echo",
      },
      body: { string: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: { message: "from the worker" }, _meta: meta } }) },
    });
    const response = (await handlerOf("mcp")(request, invocation())) as HttpResponseInit;
    assert.equal(response.status, 200);
    const body = JSON.parse(await bodyText(response)) as { id: number; result: { content: Array<{ text: string }> } };
    assert.equal(body.id, 7);
    assert.equal(body.result.content[0]?.text, "from the worker");
  });

  it("answer GET /mcp with 405 and GET /health with 200 revealing nothing", async () => {
    const get = new HttpRequest({ method: "GET", url: "http://localhost:7071/mcp", headers: { host: "localhost:7071" } });
    const refused = (await handlerOf("mcp")(get, invocation())) as HttpResponseInit;
    assert.equal(refused.status, 405);
    assert.equal(new Headers(refused.headers).get("allow"), "POST");

    const health = (await handlerOf("health")(new HttpRequest({ method: "GET", url: "http://localhost:7071/health" }), invocation())) as HttpResponseInit;
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(await bodyText(health)), { status: "ok" });
  });

  it("register only anonymous-level routes clear of the host's reserved prefixes", () => {
    for (const endpoint of endpoints) {
      assert.doesNotMatch(endpoint.route, /^\/?(admin|runtime)(\/|$)/i, endpoint.name);
      assert.ok(endpoint.methods.length > 0);
    }
    assert.deepEqual(endpoints.map((endpoint) => endpoint.route).sort(), ["health", "mcp"]);
  });
});

describe("Functions adapter", () => {
  it("turns each Set-Cookie header into its own cookie entry, keeping the attributes", async () => {
    const handler = toHttpHandler(async () => {
      const headers = new Headers();
      headers.append("Set-Cookie", "__Host-consent=abc; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600");
      headers.append("Set-Cookie", "other=1; Path=/auth; SameSite=Strict");
      return new Response(null, { status: 302, headers });
    }, "info");
    const response = (await handler(new HttpRequest({ method: "GET", url: "https://app.example/consent" }), invocation())) as HttpResponseInit;
    assert.deepEqual(response.cookies, [
      { name: "__Host-consent", value: "abc", path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: 600 },
      { name: "other", value: "1", path: "/auth", sameSite: "Strict" },
    ]);
    assert.equal(new Headers(response.headers).get("set-cookie"), null);
  });

  it("answers an exception with a 500 that carries a reference, not the error", async () => {
    const handler = toHttpHandler(async () => {
      throw new Error("database password=hunter2 refused");
    }, "info");
    const response = (await handler(new HttpRequest({ method: "GET", url: "https://app.example/x" }), invocation())) as HttpResponseInit;
    assert.equal(response.status, 500);
    const text = await bodyText(response);
    assert.doesNotMatch(text, /hunter2|database/);
    assert.match(text, /test-invocation/);
    assert.ok(logs.matching("hunter2").length > 0, "the log keeps the detail for the operator");
  });
});
