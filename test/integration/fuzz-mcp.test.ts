/**
 * /mcp under generated input, through the real local host: bodies that are
 * not JSON, not UTF-8, not JSON-RPC, deeply nested, huge or of the wrong
 * types, odd headers, and tool arguments of every shape. None may produce a
 * 5xx, a stack trace, or a success it should not: a result only for a
 * well-formed request, and a tool result that is not an error only for
 * arguments the tool's own schema accepts.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import type { EntraStandIn } from "../../dev/entra/index.js";
import type { AnyTool } from "../../lib/mcp/index.js";
import convertTemperature from "../../tools/convert-temperature.js";
import echo from "../../tools/echo.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import { anyText, fuzzParameters, trickyText } from "../support/fuzz.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { MODERN_META, showsStackTrace } from "../support/mcp-calls.js";
import { generateKeyringJson } from "../../lib/oauth/sealing.js";

/** Statuses /mcp may answer with for a request it does not serve (431: Node's own limit on header size). */
const REFUSALS = new Set([400, 401, 403, 404, 405, 406, 413, 415, 431]);
const METHODS = ["initialize", "ping", "tools/list", "tools/call", "resources/list", "prompts/list", "notifications/initialized", "subscriptions/listen", "logging/setLevel", "completion/complete", "server/discover"];

interface Answer {
  readonly status: number;
  readonly body: string;
  /** The WWW-Authenticate header, when there is one. */
  readonly challenge: string | null;
  /** JSON-RPC messages in the body (JSON, or the data of SSE events). */
  readonly messages: Array<Record<string, unknown>>;
}

async function post(url: URL, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
  const text = await response.text();
  const messages: Array<Record<string, unknown>> = [];
  const chunks = (response.headers.get("content-type") ?? "").startsWith("text/event-stream")
    ? [...text.matchAll(/^data: (.*)$/gm)].map((match) => match[1]!)
    : text === ""
      ? []
      : [text];
  for (const chunk of chunks) {
    try {
      const parsed = JSON.parse(chunk) as unknown;
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) if (typeof item === "object" && item !== null) messages.push(item as Record<string, unknown>);
    } catch {
      // An error body that is not JSON is checked by the caller.
    }
  }
  return { status: response.status, body: text, challenge: response.headers.get("www-authenticate"), messages };
}

/** No 5xx, no stack trace, and a refusal is one of the expected statuses. */
function assertClean(answer: Answer, what: string): void {
  assert.ok(answer.status < 500, `${answer.status} for ${what}: ${answer.body.slice(0, 300)}`);
  assert.ok(!showsStackTrace(answer.body), `a stack trace for ${what}: ${answer.body.slice(0, 300)}`);
  if (answer.status !== 200 && answer.status !== 202) assert.ok(REFUSALS.has(answer.status), `${answer.status} for ${what}`);
}

function hasResult(answer: Answer): boolean {
  return answer.messages.some((message) => "result" in message);
}

/** Whether `message` is a well-formed JSON-RPC 2.0 request (what alone may earn a result). */
function isWellFormedRequest(message: unknown): boolean {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
  const { jsonrpc, id, method, params } = message as Record<string, unknown>;
  return jsonrpc === "2.0" && (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) && typeof method === "string" && (params === undefined || (typeof params === "object" && params !== null));
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
const jsonRpcish = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant("2.0"), fc.constant("1.0"), fc.constant(2), anyJson),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), fc.double(), anyJson),
    method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 30 }), anyJson),
    params: fc.oneof(fc.constant({ _meta: MODERN_META }), fc.dictionary(fc.string({ maxLength: 10 }), anyJson, { maxKeys: 4 }), anyJson),
  },
  { requiredKeys: [] },
);

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe("/mcp under generated input", function () {
  this.timeout(60_000);
  let kit: RunningKit;

  before(async () => {
    kit = await startKit();
  });
  after(() => kit?.close());

  it("answers bodies that are not JSON, or not UTF-8, with a parse error", async () => {
    const bodies = fc.oneof(
      anyText(1500).filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      }),
      trickyText(30).filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      }),
      // Invalid UTF-8 inside an otherwise valid request.
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => {
        const head = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"');
        const tail = new TextEncoder().encode('"}}');
        const body = new Uint8Array(head.length + bytes.length + 2 + tail.length);
        body.set(head);
        body.set(bytes, head.length);
        body.set([0xc3, 0x28], head.length + bytes.length);
        body.set(tail, head.length + bytes.length + 2);
        return body;
      }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const answer = await post(kit.mcpUrl, body);
        assertClean(answer, JSON.stringify(typeof body === "string" ? body.slice(0, 80) : [...body.slice(0, 80)]));
        assert.equal(answer.status, 400);
        assert.ok(!hasResult(answer));
      }),
      fuzzParameters(200),
    );
  });

  it("gives a result only to well-formed JSON-RPC requests, whatever the message's shape and types", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonRpcish, anyJson, fc.array(jsonRpcish, { maxLength: 4 })), async (message) => {
        const answer = await post(kit.mcpUrl, JSON.stringify(message), { "mcp-protocol-version": "2026-07-28" });
        assertClean(answer, JSON.stringify(message).slice(0, 200));
        if (hasResult(answer)) {
          const requests = Array.isArray(message) ? message : [message];
          assert.ok(requests.some(isWellFormedRequest), `a result for ${JSON.stringify(message).slice(0, 200)}`);
        }
      }),
      fuzzParameters(400),
    );
  });

  it("answers deeply nested and huge messages without a 5xx", async () => {
    // A kit of its own: after a refused oversized body the host closes that connection, and a client
    // reusing it for the next request would see a reset that has nothing to do with the next request.
    const own = await startKit();
    const cases: Array<[string, string]> = [
      ["nesting 100,000 arrays deep as the whole body", nested(100_000, "[", "]")],
      ["nesting 100,000 objects deep in params", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":${nested(100_000, '{"a":', "}")}}}`],
      ["nesting 50,000 arrays deep in _meta", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":${nested(50_000, "[", "]")}}}`],
      ["nesting 100,000 arrays deep as the id", `{"jsonrpc":"2.0","id":${nested(100_000, "[", "]")},"method":"ping"}`],
      ["a 3 MiB string argument", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "x".repeat(3 * 1024 * 1024) }, _meta: MODERN_META } })],
      ["200,000 keys in arguments", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{${Array.from({ length: 200_000 }, (_, index) => `"k${index}":${index}`).join(",")}}}}`],
      ["a batch of 101 requests", JSON.stringify(Array.from({ length: 101 }, (_, index) => ({ jsonrpc: "2.0", id: index, method: "ping" })))],
      ["a 5 MiB body", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "y".repeat(5 * 1024 * 1024) } })],
    ];
    try {
      for (const [label, body] of cases) {
        const started = Date.now();
        const answer = await post(own.mcpUrl, body, { "mcp-protocol-version": "2026-07-28" });
        assertClean(answer, label);
        assert.ok(!hasResult(answer) || label.startsWith("a 3 MiB"), `a result for ${label}`);
        assert.ok(Date.now() - started < 10_000, `${label} took ${Date.now() - started} ms`);
      }
    } finally {
      await own.close();
    }
  });

  it("never succeeds in calling a tool with arguments its schema refuses, and echoes whatever echo's schema accepts", async () => {
    const pure: Readonly<Record<string, AnyTool>> = { echo, convert_temperature: convertTemperature };
    const argumentValues = fc.oneof(
      anyJson,
      fc.record({ message: fc.oneof(fc.string({ maxLength: 1200 }), anyJson), times: fc.oneof(fc.integer({ min: -3, max: 8 }), fc.double(), anyJson) }, { requiredKeys: [] }),
      fc.record({ value: fc.oneof(fc.double(), fc.integer(), anyJson), unit: fc.oneof(fc.constantFrom("celsius", "fahrenheit", "kelvin", "Celsius", "rankine", ""), anyJson) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(pure)), argumentValues, async (name, args) => {
        const tool = pure[name]!;
        const message = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: tool.name, arguments: args, _meta: MODERN_META } };
        const answer = await post(kit.mcpUrl, JSON.stringify(message), { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": tool.name });
        assertClean(answer, JSON.stringify(message).slice(0, 200));
        const result = answer.messages.find((item) => "result" in item)?.["result"] as { isError?: boolean } | undefined;
        const accepted = z.object(tool.input).safeParse(args).success;
        if (result !== undefined && result.isError !== true) assert.ok(accepted, `${tool.name} succeeded with ${JSON.stringify(args)}`);
        // convert_temperature may still refuse valid input (below absolute zero); echo has nothing to refuse.
        if (accepted && tool === echo) assert.equal(result?.isError, undefined, `echo refused valid arguments ${JSON.stringify(args)}: ${answer.body.slice(0, 300)}`);
      }),
      fuzzParameters(300),
    );
  });

  it("answers a list cursor or tool call field of any other type with -32602 and one line, never -32603", async () => {
    const requests = fc.oneof(
      fc.tuple(fc.constantFrom("tools/list", "resources/list", "resources/templates/list", "prompts/list"), anyJson).map(([method, cursor]) => ({ method, params: { cursor } as Record<string, unknown> })),
      fc.tuple(anyJson, fc.option(anyJson, { nil: undefined })).map(([name, args]) => ({ method: "tools/call", params: { name, ...(args === undefined ? {} : { arguments: args }) } as Record<string, unknown> })),
    );
    await fc.assert(
      fc.asyncProperty(requests, fc.constantFrom("2026-07-28", "2025-11-25"), async ({ method, params }, era) => {
        const headers: Record<string, string> = { "mcp-protocol-version": era };
        if (era === "2026-07-28") {
          headers["mcp-method"] = method;
          const name = params["name"];
          if (typeof name === "string" && /^[\x21-\x7e]+$/.test(name)) headers["mcp-name"] = name;
        }
        const message = { jsonrpc: "2.0", id: 3, method, params: era === "2026-07-28" ? { ...params, _meta: MODERN_META } : params };
        const answer = await post(kit.mcpUrl, JSON.stringify(message), headers);
        assertClean(answer, JSON.stringify(message).slice(0, 200));
        const error = answer.messages.find((item) => "error" in item)?.["error"] as { code: number; message: string } | undefined;
        const { cursor, name, arguments: args } = params;
        const notAnObject = (value: unknown): boolean => typeof value !== "object" || value === null || Array.isArray(value);
        const wrongType = method === "tools/call" ? typeof name !== "string" || (args !== undefined && notAnObject(args)) : cursor !== undefined && typeof cursor !== "string";
        if (wrongType) {
          assert.equal(error?.code, -32602, `${JSON.stringify(message).slice(0, 200)}: ${answer.body.slice(0, 300)}`);
          assert.ok(!error!.message.includes("\n"), error!.message);
        }
        if (error !== undefined) assert.notEqual(error.code, -32603, `${JSON.stringify(message).slice(0, 200)}: ${answer.body.slice(0, 300)}`);
      }),
      fuzzParameters(300),
    );
  });

  it("answers odd media types, protocol versions and routing headers without a 5xx", async () => {
    const headerSets = fc.record(
      {
        "content-type": fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;charset=latin1", "text/plain", "application/x-www-form-urlencoded", "", "application/json, text/plain"),
        accept: fc.constantFrom("application/json, text/event-stream", "application/json", "text/event-stream", "*/*", "text/html", ""),
        "mcp-protocol-version": fc.oneof(fc.constantFrom("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "9999-99-99", ""), fc.string({ maxLength: 20 }).filter((text) => /^[\x21-\x7e]*$/.test(text))),
        "mcp-method": fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[a-z/]{0,20}$/)),
        "mcp-name": fc.oneof(fc.constantFrom("echo", "whoami", "nope"), fc.stringMatching(/^[a-z_]{0,20}$/)),
      },
      { requiredKeys: [] },
    );
    const messages = fc.oneof(
      fc.constantFrom(...METHODS).map((method) => ({ jsonrpc: "2.0", id: 1, method, params: { _meta: MODERN_META } })),
      fc.constant({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "hi" }, _meta: MODERN_META } }),
      fc.constant({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    );
    await fc.assert(
      fc.asyncProperty(headerSets, messages, async (headers, message) => {
        const answer = await post(kit.mcpUrl, JSON.stringify(message), Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>);
        assertClean(answer, `${JSON.stringify(headers)} ${message.method}`);
      }),
      fuzzParameters(250),
    );
  });

  describe("behind the token gate", () => {
    let standIn: EntraStandIn;
    let gated: RunningKit;
    let token: string;

    before(async () => {
      requireDevTlsTrust();
      standIn = await startDefaultStandIn();
      gated = await startProxyKit(standIn, { env: { SEALING_KEYRING: generateKeyringJson("fuzz") } });
      token = await standIn.mintAccessToken({ user: "alice" });
    });
    after(async () => {
      await gated?.close();
      await standIn?.close();
    });

    it("answers any Authorization header but one valid token with 401, never a 5xx", async () => {
      const tamper = fc.tuple(fc.nat(), fc.constantFrom(..."ABCxyz019-_.=")).map(([at, character]) => (value: string) => value.slice(0, at % value.length) + character + value.slice((at % value.length) + 1));
      const headers = fc.oneof(
        anyText(200),
        trickyText(),
        tamper.map((edit) => `Bearer ${edit(token)}`),
        fc.constantFrom("Bearer", "Bearer ", "Basic YTpi", `Bearer ${token}, Bearer ${token}`, `bearer  ${token}`, `Bearer ${token}x`, `Bearer ${"e".repeat(17_000)}`, `DPoP ${token}`),
        fc.string({ maxLength: 400 }).map((text) => `Bearer eyJ${text}`),
      );
      await fc.assert(
        fc.asyncProperty(headers, async (authorization) => {
          let headerSafe: Headers;
          try {
            headerSafe = new Headers({ authorization });
          } catch {
            return;
          }
          // Control characters other than tab never leave the client (fetch refuses them), so they cannot reach the server.
          fc.pre(/^[\t\x20-\x7e\x80-\xff]*$/.test(headerSafe.get("authorization")!));
          fc.pre(headerSafe.get("authorization") !== `Bearer ${token}` && headerSafe.get("authorization") !== `bearer  ${token}`);
          const answer = await post(gated.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: MODERN_META } }), { authorization: headerSafe.get("authorization")!, "mcp-protocol-version": "2026-07-28" });
          assertClean(answer, authorization.slice(0, 80));
          assert.ok([400, 401, 431].includes(answer.status), `${answer.status} for ${JSON.stringify(authorization.slice(0, 80))}`);
          assert.ok(!hasResult(answer));
        }),
        fuzzParameters(200),
      );
    });

    it("repeats no part of a refused credential, whatever its shape, in the challenge, the body or the log", async () => {
      const word = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 10, maxLength: 60 });
      const credentials = fc.oneof(
        word,
        fc.tuple(word, word).map(([scheme, secret]) => `${scheme} ${secret}`),
        fc.tuple(fc.constantFrom("Token", "ApiKey", "sk-live", "Bearer", "Basic", "X"), word).map(([scheme, secret]) => `${scheme} ${secret}`),
        fc.tuple(word, word).map(([first, second]) => `Bearer ${first} ${second}`),
      );
      await fc.assert(
        fc.asyncProperty(credentials, async (authorization) => {
          const answer = await post(gated.mcpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: MODERN_META } }), { authorization, "mcp-protocol-version": "2026-07-28" });
          assert.equal(answer.status, 401);
          const logs = gated.logs.text();
          for (const secret of authorization.split(" ").filter((piece) => piece.length >= 10)) {
            assert.ok(!(answer.challenge ?? "").includes(secret), `WWW-Authenticate repeats ${secret}: ${answer.challenge}`);
            assert.ok(!answer.body.includes(secret), `the body repeats ${secret}: ${answer.body}`);
            assert.ok(!logs.includes(secret), `the log repeats ${secret}`);
          }
        }),
        fuzzParameters(200),
      );
    });

    it("answers generated bodies from a signed-in user without a 5xx or an undue result", async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(jsonRpcish, anyJson, trickyText()), async (message) => {
          const body = typeof message === "string" ? message : JSON.stringify(message);
          const answer = await post(gated.mcpUrl, body, { authorization: `Bearer ${token}`, "mcp-protocol-version": "2026-07-28" });
          assertClean(answer, body.slice(0, 200));
          if (hasResult(answer)) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(body);
            } catch {
              assert.fail(`a result for a body that is not JSON: ${body.slice(0, 200)}`);
            }
            assert.ok((Array.isArray(parsed) ? parsed : [parsed]).some(isWellFormedRequest), `a result for ${body.slice(0, 200)}`);
          }
        }),
        fuzzParameters(200),
      );
    });
  });
});
