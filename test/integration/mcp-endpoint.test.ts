import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { z } from "zod";
import { defineTool, ToolError } from "../../lib/mcp/index.js";
import { connectClient } from "../support/clients.js";
import { startKit, type RunningKit } from "../support/kit.js";

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

const failing = defineTool({
  name: "fails_unexpectedly",
  description: "Throws an error carrying internal detail",
  input: {},
  async run() {
    throw new Error("connect ECONNREFUSED 10.1.2.3:5432 password=hunter2");
  },
});
const wrongOutput = defineTool({
  name: "wrong_output",
  description: "Returns output that does not match its schema",
  input: {},
  output: { count: z.number() },
  async run() {
    return { count: "three" } as unknown as { count: number };
  },
});
const refuses = defineTool({
  name: "refuses",
  description: "Throws a ToolError",
  input: {},
  async run() {
    throw new ToolError("The order 42 does not exist.");
  },
});
const slowProgress = defineTool({
  name: "slow_progress",
  description: "Reports progress three times, 50 ms apart",
  input: {},
  async run(_args, { progress }) {
    for (const step of [1, 2, 3]) {
      await progress(step, 3, `step ${step}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return "done";
  },
});

async function post(url: URL, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
}

/** Sends a request with an arbitrary Host header, which fetch does not allow. */
function rawPost(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const LIST_TOOLS = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: MODERN_META } });
const MODERN_HEADERS = { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" };

describe("/mcp endpoint", () => {
  let kit: RunningKit;
  before(async () => {
    kit = await startKit({
      env: { MCP_MAX_BODY_BYTES: "2048" },
      server: { name: "test", version: "1", tools: [failing, wrongOutput, refuses, slowProgress] },
    });
  });
  after(async () => kit.close());

  describe("bad requests get a clear status, never a 500", () => {
    for (const method of ["GET", "DELETE"]) {
      it(`answers ${method} with 405 and Allow: POST`, async () => {
        const response = await fetch(kit.mcpUrl, { method });
        assert.equal(response.status, 405);
        assert.equal(response.headers.get("allow"), "POST");
        const body = (await response.json()) as { error: { message: string } };
        assert.match(body.error.message, /POST/);
      });
    }

    it("answers methods the function does not declare with the host's empty 404", async () => {
      const response = await fetch(kit.mcpUrl, { method: "PUT", body: "{}" });
      assert.equal(response.status, 404);
      assert.equal(await response.text(), "");
    });

    it("answers a body over the limit with 413, whether or not Content-Length announces it", async () => {
      const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { padding: "x".repeat(4000) } });
      assert.equal((await post(kit.mcpUrl, big)).status, 413);
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(500)));
          controller.close();
        },
      });
      const response = await fetch(kit.mcpUrl, { method: "POST", headers: { "content-type": "application/json" }, body: chunked, duplex: "half" } as RequestInit);
      assert.equal(response.status, 413);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /2048 bytes/);
    });

    it("answers a non-JSON media type with 415", async () => {
      const response = await post(kit.mcpUrl, LIST_TOOLS, { "content-type": "text/plain" });
      assert.equal(response.status, 415);
    });

    for (const [label, body] of [
      ["truncated JSON", '{"jsonrpc":"2.0","id":1,'],
      ["an empty body", ""],
      ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ] as const) {
      it(`answers ${label} with a JSON-RPC parse error`, async () => {
        const response = await post(kit.mcpUrl, body);
        assert.equal(response.status, 400);
        const parsed = (await response.json()) as { error: { code: number }; id: unknown };
        assert.equal(parsed.error.code, -32700);
        assert.equal(parsed.id, null);
      });
    }

    it("answers well-formed JSON that is not JSON-RPC without a 500", async () => {
      for (const body of ["[]", "42", '"text"', '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":1,"method":7}', "[1,2,3]"]) {
        const response = await post(kit.mcpUrl, body);
        assert.ok(response.status >= 200 && response.status < 500, `${body} → ${response.status}`);
      }
    });
  });

  describe("DNS-rebinding protection", () => {
    it("refuses a Host header outside the allow-list with 403", async () => {
      const response = await rawPost(kit.mcpUrl, { host: "evil.example", ...MODERN_HEADERS }, LIST_TOOLS);
      assert.equal(response.status, 403);
      assert.ok(kit.logs.matching("mcp.request_rejected").length > 0, "the refusal is logged");
    });

    it("refuses an Origin header outside the allow-list with 403", async () => {
      const response = await post(kit.mcpUrl, LIST_TOOLS, { origin: "https://evil.example", ...MODERN_HEADERS });
      assert.equal(response.status, 403);
    });

    it("accepts a loopback Origin locally", async () => {
      const response = await post(kit.mcpUrl, LIST_TOOLS, { origin: `http://localhost:${kit.config.port}`, ...MODERN_HEADERS });
      assert.equal(response.status, 200);
    });
  });

  describe("parameters of the wrong type", () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["tools/list", { cursor: 5 }, /^Invalid params for tools\/list: cursor must be a string/],
      ["tools/list", { cursor: { page: 2 } }, /cursor must be a string/],
      ["tools/list", { cursor: null }, /cursor must be a string/],
      ["resources/list", { cursor: [] }, /^Invalid params for resources\/list: cursor must be a string/],
      ["resources/templates/list", { cursor: true }, /^Invalid params for resources\/templates\/list: cursor must be a string/],
      ["prompts/list", { cursor: 1.5 }, /^Invalid params for prompts\/list: cursor must be a string/],
      ["tools/call", { name: 42 }, /^Invalid params for tools\/call: name must be a string\.$/],
      ["tools/call", { arguments: {} }, /^Invalid params for tools\/call: name is required\.$/],
      ["tools/call", { name: "refuses", arguments: "all" }, /^Invalid params for tools\/call: arguments must be an object\.$/],
      ["tools/list", { _meta: "x" }, /^Invalid params for tools\/list: _meta must be an object\.$/],
    ];
    for (const era of ["2026-07-28", "2025-11-25"] as const) {
      for (const [method, params, message] of cases) {
        it(`answers ${method} with ${JSON.stringify(params)} (${era}) with -32602 and one short sentence, not -32603 and a schema dump`, async () => {
          const body = era === "2026-07-28" ? { ...params, _meta: params["_meta"] ?? MODERN_META } : params;
          const headers: Record<string, string> = { "mcp-protocol-version": era };
          if (era === "2026-07-28") {
            headers["mcp-method"] = method;
            if (typeof params["name"] === "string") headers["mcp-name"] = params["name"];
          }
          const response = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: "req-7", method, params: body }), headers);
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("content-type"), "application/json");
          const answer = (await response.json()) as { id: string; error: { code: number; message: string } };
          assert.equal(answer.id, "req-7");
          assert.equal(answer.error.code, -32602);
          assert.match(answer.error.message, message);
          assert.ok(answer.error.message.length < 120 && !answer.error.message.includes("\n"), answer.error.message);
        });
      }
    }

    it("leaves a method 2026-07-28 removed to the SDK (404, -32601 method not found), whatever its params; 2025-era clients still get -32602", async () => {
      const modern = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "logging/setLevel", params: { _meta: MODERN_META } }), { ...MODERN_HEADERS, "mcp-method": "logging/setLevel" });
      assert.equal(modern.status, 404);
      assert.equal(((await modern.json()) as { error?: { code: number } }).error?.code, -32601);
      const legacy = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: 5 } }), { "mcp-protocol-version": "2025-11-25" });
      const answer = (await legacy.json()) as { error?: { code: number; message: string } };
      assert.equal(answer.error?.code, -32602, JSON.stringify(answer));
      assert.match(answer.error?.message ?? "", /^Invalid params for logging\/setLevel: level must be a string\.$/);
    });

    it("still hands a string cursor to the SDK, and answers notifications with nothing to refuse", async () => {
      const listed = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: "page-2", _meta: MODERN_META } }), MODERN_HEADERS);
      const body = (await listed.json()) as { result?: unknown; error?: { code: number } };
      assert.notEqual(body.error?.code, -32602, JSON.stringify(body));
      const notification = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized", params: { cursor: 5 } }), { "mcp-protocol-version": "2025-11-25" });
      assert.equal(notification.status, 202, "a notification gets no JSON-RPC answer");
    });
  });

  describe("refused methods", () => {
    it("refuses subscriptions/listen instead of holding the Function open", async () => {
      const response = await post(
        kit.mcpUrl,
        JSON.stringify({ jsonrpc: "2.0", id: 9, method: "subscriptions/listen", params: { _meta: MODERN_META, notifications: { toolsListChanged: true } } }),
        { "mcp-protocol-version": "2026-07-28", "mcp-method": "subscriptions/listen" },
      );
      assert.equal(response.headers.get("content-type"), "application/json");
      const body = (await response.json()) as { id: number; error: { code: number; message: string } };
      assert.equal(body.id, 9);
      assert.equal(body.error.code, -32601);
      assert.match(body.error.message, /stateless/);
    });

    it("advertises that the tool list never changes", async () => {
      const response = await post(kit.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: MODERN_META } }), {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "server/discover",
      });
      const body = (await response.json()) as { result: { capabilities: { tools: { listChanged: boolean } } } };
      assert.equal(body.result.capabilities.tools.listChanged, false);
    });
  });

  describe("tool failures", () => {
    it("hides an unexpected error's text and stack behind a reference that the log explains", async () => {
      const client = await connectClient("v2-auto", kit.mcpUrl);
      try {
        const result = await client.callTool("fails_unexpectedly", {});
        assert.equal(result.isError, true);
        const text = result.content[0]?.text ?? "";
        assert.doesNotMatch(text, /ECONNREFUSED|hunter2|at .*\.js/);
        const reference = /reference ([0-9a-f]{8})/.exec(text)?.[1];
        assert.ok(reference, text);
        const logged = kit.logs.matching(reference);
        assert.equal(logged.length, 1);
        assert.match(logged[0]!.text, /ECONNREFUSED/);
      } finally {
        await client.close();
      }
    });

    it("turns output that breaks the declared schema into a tool error", async () => {
      const client = await connectClient("v2-legacy", kit.mcpUrl);
      try {
        const result = await client.callTool("wrong_output", {});
        assert.equal(result.isError, true);
        assert.equal(result.structuredContent, undefined);
        assert.match(kit.logs.text(), /does not match the declared output schema/);
      } finally {
        await client.close();
      }
    });

    it("passes a ToolError's message through unchanged", async () => {
      const client = await connectClient("v1", kit.mcpUrl);
      try {
        const result = await client.callTool("refuses", {});
        assert.deepEqual(result, { content: [{ type: "text", text: "The order 42 does not exist." }], isError: true });
      } finally {
        await client.close();
      }
    });
  });

  describe("2025-era answers: JSON unless something could precede the result", () => {
    async function legacyCall(url: URL, meta: Record<string, unknown> | undefined): Promise<{ contentType: string; text: string }> {
      const headers = { "mcp-protocol-version": "2025-11-25" };
      const initialize = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }), headers);
      assert.equal(initialize.status, 200, await initialize.clone().text());
      await initialize.body?.cancel();
      const answer = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow_progress", arguments: {}, ...(meta === undefined ? {} : { _meta: meta }) } }), headers);
      assert.equal(answer.status, 200);
      return { contentType: answer.headers.get("content-type") ?? "", text: await answer.text() };
    }

    it("answers a call without a progress token with one JSON body, and one with a token as an event stream with the progress first", async () => {
      const plain = await legacyCall(kit.mcpUrl, undefined);
      assert.match(plain.contentType, /^application\/json/);
      assert.equal((JSON.parse(plain.text) as { result: { content: Array<{ text: string }> } }).result.content[0]?.text, "done");
      const streamed = await legacyCall(kit.mcpUrl, { progressToken: "p" });
      assert.match(streamed.contentType, /^text\/event-stream/);
      assert.ok(streamed.text.indexOf("notifications/progress") < streamed.text.indexOf('"done"'), streamed.text);
    });

    it("keeps event streams for a definition that declares logging or extends the server, which may send log messages", async () => {
      for (const extra of [{ capabilities: { logging: {} } }, { extend: () => undefined }]) {
        const other = await startKit({ server: { name: "test", version: "1", tools: [slowProgress], ...extra } });
        try {
          assert.match((await legacyCall(other.mcpUrl, undefined)).contentType, /^text\/event-stream/, JSON.stringify(Object.keys(extra)));
        } finally {
          await other.close();
        }
      }
    });
  });

  describe("streaming through the local host", () => {
    for (const kind of ["v2-auto", "v2-legacy"] as const) {
      it(`delivers progress notifications to a ${kind} client as they happen, not with the result`, async () => {
        const client = await connectClient(kind, kit.mcpUrl);
        try {
          const seen: Array<{ progress: number; at: number }> = [];
          const result = await client.callTool("slow_progress", {}, (progress) => seen.push({ progress, at: Date.now() }));
          const resultAt = Date.now();
          assert.deepEqual(
            seen.map((entry) => entry.progress),
            [1, 2, 3],
          );
          assert.equal(result.content[0]?.text, "done");
          // The tool sleeps 150 ms after its first report: a buffered response would deliver everything at once.
          assert.ok(resultAt - seen[0]!.at >= 80, `first progress arrived ${resultAt - seen[0]!.at} ms before the result`);
        } finally {
          await client.close();
        }
      });
    }
  });
});
