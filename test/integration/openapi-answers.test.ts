/**
 * What generated OpenAPI tools make of an API's answers, and where their
 * credentials go: JSON, text and binary results, failures with a sanitised
 * excerpt, size limits, redirects (same origin only), API keys from
 * secrets, the On-Behalf-Of token, a downstream 403 insufficient_scope as a
 * StepUpRequiredError, and the deadline. Real HTTP against recording
 * servers; tools are called through `/mcp` in process, or (for the bearer
 * token, which needs a sign-in) through `run` with a resolved token.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { silentLogger } from "../../lib/log.js";
import { StepUpRequiredError, type AnyTool, type DownstreamToken } from "../../lib/mcp/index.js";
import { openApiTools } from "../../lib/openapi/index.js";
import { environmentSecrets } from "../../lib/secrets/source.js";
import { inProcessServer } from "../support/in-process.js";
import { LogCapture } from "../support/log-capture.js";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";

const answer =
  (status: number, contentType: string | undefined, body: string | Buffer, headers: Record<string, string> = {}) =>
  (_request: unknown, response: ServerResponse): void => {
    response.writeHead(status, { ...(contentType === undefined ? {} : { "content-type": contentType }), ...headers });
    response.end(body);
  };

function operation(operationId: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { get: { operationId, responses, ...extra } };
}
const json = (schema: Record<string, unknown>): Record<string, unknown> => ({ description: "ok", content: { "application/json": { schema } } });

describe("OpenAPI tools: answers", function () {
  this.timeout(30_000);
  let api: RecordingServer;
  let elsewhere: RecordingServer;
  let server: ReturnType<typeof inProcessServer>;
  const logs = new LogCapture();
  const API_KEY = "k3y-5ecret-value-0123456789";

  before(async () => {
    api = await startRecordingServer();
    elsewhere = await startRecordingServer();
    const document = {
      openapi: "3.1.0",
      info: { title: "Answers", version: "1" },
      servers: [{ url: api.origin }],
      security: [{ key: [] }],
      components: {
        securitySchemes: { key: { type: "apiKey", in: "header", name: "X-Api-Key" }, queryKey: { type: "apiKey", in: "query", name: "api_key" }, cookieKey: { type: "apiKey", in: "cookie", name: "k" } },
      },
      paths: {
        "/object": operation("object", { "200": json({ type: "object", properties: { id: { type: "integer" } }, required: ["id"] }) }),
        "/list": operation("list", { "200": json({ type: "array", items: { type: "integer" } }) }),
        "/loose": operation("loose", { "200": { description: "anything" } }),
        "/public": operation("public", { "200": { description: "anything" } }, { security: [] }),
        "/query-key": operation("queryKey", { "200": { description: "ok" } }, { security: [{ queryKey: [] }, { key: [] }] }),
        "/cookie-key": operation("cookieKey", { "200": { description: "ok" } }, { security: [{ cookieKey: [] }] }),
      },
    };
    const tools = await openApiTools({ document, apiKeySecrets: { key: "answers-api-key", queryKey: "answers-api-key", cookieKey: "answers-api-key" }, maxResponseBytes: 64 * 1024, timeoutMs: 1500 });
    server = inProcessServer(tools, { secrets: environmentSecrets({ ANSWERS_API_KEY: API_KEY }), logs });
  });
  after(async () => {
    await api?.close();
    await elsewhere?.close();
  });
  beforeEach(() => {
    api.reset();
    elsewhere.reset();
  });

  const call = (name: string, args: Record<string, unknown> = {}): ReturnType<typeof server.call> => server.call("tools/call", { name, arguments: args });
  const text = (result: Awaited<ReturnType<typeof call>>): string => result.result?.content[0]?.text ?? JSON.stringify(result);

  it("a JSON object is the structured result, and the same JSON as text", async () => {
    api.respond(answer(200, "application/json; charset=utf-8", '{"id":7,"extra":"kept"}'));
    const result = await call("object");
    assert.equal(result.result?.isError, undefined, text(result));
    assert.deepEqual(result.result!.structuredContent, { id: 7, extra: "kept" });
    assert.deepEqual(JSON.parse(text(result)), { id: 7, extra: "kept" });
  });

  it("a JSON list comes as { result } with an output schema saying so", async () => {
    const listed = await server.call("tools/list");
    const list = listed.result!.tools!.find((tool) => tool["name"] === "list")!;
    assert.deepEqual(list["outputSchema"], { type: "object", properties: { result: { type: "array", items: { type: "integer" } } }, required: ["result"] });
    api.respond(answer(200, "application/json", "[1,2,3]"));
    assert.deepEqual((await call("list")).result!.structuredContent, { result: [1, 2, 3] });
  });

  it("an answer that breaks the document's own schema is an error, not wrong structured content", async () => {
    api.respond(answer(200, "application/json", '{"id":"seven"}'));
    const result = await call("object");
    assert.equal(result.result?.isError, true);
    assert.equal(result.result?.structuredContent, undefined);
  });

  it("text where JSON was promised is an error naming what came", async () => {
    api.respond(answer(200, "text/html", "<html>login</html>"));
    const result = await call("object");
    assert.equal(result.result?.isError, true);
    assert.match(text(result), /GET \/object answered 200 with text\/html, where its document promises JSON/);
  });

  it("text is text; JSON without a schema is structured when it is an object", async () => {
    api.respond(answer(200, "text/plain; charset=utf-8", "plain words ü"));
    assert.equal(text(await call("loose")), "plain words ü");
    api.respond(answer(200, "application/problem+json", '{"a":1}'));
    assert.deepEqual((await call("loose")).result!.structuredContent, { a: 1 });
  });

  it("binary is an embedded resource with its media type, and a line saying what it is", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    api.respond(answer(200, "image/png", png));
    const result = await call("loose");
    assert.match(text(result), /answered 200 with 8 bytes of image\/png/);
    const resource = result.result!.content[1]!.resource!;
    assert.equal(resource.mimeType, "image/png");
    assert.equal(resource.uri, `${api.origin}/loose`);
    assert.deepEqual([...Buffer.from(resource.blob!, "base64")], [...png]);
  });

  it("an answer larger than maxResponseBytes is refused, whatever Content-Length says", async () => {
    api.respond((_request, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(Buffer.alloc(80 * 1024, 1));
    });
    assert.match(text(await call("loose")), /larger than 65536 bytes/);
    api.respond(answer(200, "text/plain", "x", { "content-length": String(10 * 1024 * 1024) }));
    assert.match(text(await call("loose")), /larger than 65536 bytes/);
  });

  it("a failure is an error with the status and a short excerpt, without credentials or control characters", async () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4eHh4eCJ9.c2lnbmF0dXJlLXBhcnQ";
    api.respond(answer(500, "application/json", JSON.stringify({ error: "boom\u0000\u001b[31m", echoed: { authorization: `Bearer ${jwt}`, key: API_KEY }, padding: "p".repeat(2000) })));
    const result = await call("loose");
    assert.equal(result.result?.isError, true);
    const message = text(result);
    assert.match(message, /^GET \/loose answered 500 Internal Server Error\. The API said: \{"error":"boom/);
    assert.ok(!message.includes(jwt) && !message.includes(API_KEY), message);
    assert.ok(message.includes("[redacted]"));
    assert.ok(!/[\u0000-\u001f]/.test(message), message);
    assert.ok(message.length < 500, `${message.length} characters`);
  });

  it("throttling says when to try again", async () => {
    api.respond(answer(429, "application/json", '{"error":"slow down"}', { "retry-after": "12" }));
    assert.match(text(await call("loose")), /answered 429 Too Many Requests\. Try again in 12 seconds\./);
  });

  it("an API key from the secret goes in the header the scheme names, never into a log line", async () => {
    await call("loose");
    assert.equal(api.requests[0]!.headers["x-api-key"], API_KEY);
    assert.equal(api.requests[0]!.headers["authorization"], undefined);
    assert.ok(!logs.text().includes(API_KEY));
    assert.equal(logs.matching('"event":"openapi.call"').length > 0, true);
  });

  it("an API key in the query or a cookie, as the scheme says; an operation without security sends none", async () => {
    await call("queryKey");
    assert.equal(api.requests[0]!.target, `/query-key?api_key=${API_KEY}`);
    assert.equal(api.requests[0]!.headers["x-api-key"], undefined);
    await call("cookieKey");
    assert.equal(api.requests[1]!.headers["cookie"], `k=${API_KEY}`);
    await call("public");
    assert.equal(api.requests[2]!.headers["x-api-key"], undefined);
    assert.equal(api.requests[2]!.headers["cookie"], undefined);
  });

  it("follows a redirect on the API's own origin, credentials and all", async () => {
    let first = true;
    api.respond((request, response) => {
      if (first) {
        first = false;
        response.writeHead(307, { location: "/object?moved=1" });
        response.end();
      } else answer(200, "application/json", '{"id":1}')(request, response);
    });
    const result = await call("object");
    assert.deepEqual(result.result!.structuredContent, { id: 1 });
    assert.deepEqual(api.requests.map((request) => request.target), ["/object", "/object?moved=1"]);
    assert.equal(api.requests[1]!.headers["x-api-key"], API_KEY);
  });

  it("never follows a redirect to another origin: that host sees nothing", async () => {
    api.respond(answer(302, undefined, "", { location: `${elsewhere.origin}/steal` }));
    const result = await call("loose");
    assert.equal(result.result?.isError, true);
    assert.match(text(result), new RegExp(`redirected to ${elsewhere.origin.replace(/\./g, "\\.")}, another origin; the kit does not follow it`));
    assert.equal(elsewhere.requests.length, 0);
  });

  it("gives up after five redirects", async () => {
    api.respond(answer(302, undefined, "", { location: "/loose" }));
    assert.match(text(await call("loose")), /redirected more than 5 times/);
    assert.equal(api.requests.length, 6);
  });

  it("ends at its deadline, even when the API never answers", async () => {
    api.respond(() => undefined);
    const started = Date.now();
    const result = await call("loose");
    assert.equal(result.result?.isError, true);
    assert.match(text(result), /did not finish within 2 seconds and was stopped/);
    assert.ok(Date.now() - started < 10_000);
  });
});

describe("OpenAPI tools: the On-Behalf-Of token", function () {
  this.timeout(30_000);
  let api: RecordingServer;
  let tools: AnyTool[];
  const TOKEN = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJhcGk6Ly9jb250b3NvLW9yZGVycyJ9.obo-token-signature";

  before(async () => {
    api = await startRecordingServer();
    const document = {
      openapi: "3.0.3",
      info: { title: "Orders", version: "1" },
      servers: [{ url: `${api.origin}/v1` }],
      security: [{ entra: ["Orders.Read"] }],
      components: { securitySchemes: { entra: { type: "oauth2", flows: { implicit: { authorizationUrl: "https://login.example/authorize", scopes: { "Orders.Read": "read", "Orders.Write": "write" } } } } } },
      paths: {
        "/orders": {
          get: { operationId: "list", responses: { "200": { description: "ok" } } },
          post: { operationId: "place", security: [{ entra: ["Orders.Write"] }], responses: { "200": { description: "ok" } } },
        },
      },
    };
    tools = await openApiTools({ document, scopes: { resource: "api://contoso-orders" } });
  });
  after(async () => api?.close());
  beforeEach(() => api.reset());

  /** Runs a tool as the kit would once its needs are resolved: the OBO token given, as `obo()` gives it. */
  const run = (tool: AnyTool, args: Record<string, unknown> = {}): Promise<unknown> => {
    const token: DownstreamToken = { token: TOKEN, expiresOn: new Date(Date.now() + 3_600_000), scopes: [], fetch: () => Promise.reject(new Error("unused")) };
    return tool.run(args, { api: token, log: silentLogger, signal: new AbortController().signal, progress: async () => undefined });
  };

  it("declares an obo() need for the operation's scopes in full form, which join the sign-in scopes", () => {
    const scopesOf = (tool: AnyTool): unknown => (tool.needs as Record<string, { downstreamScopes?: unknown }>)["api"]?.downstreamScopes;
    assert.deepEqual(scopesOf(tools[0]!), ["api://contoso-orders/Orders.Read"]);
    assert.deepEqual(scopesOf(tools[1]!), ["api://contoso-orders/Orders.Write"]);
  });

  it("sends the On-Behalf-Of token as the bearer token", async () => {
    await run(tools[0]!);
    assert.equal(api.requests[0]!.headers["authorization"], `Bearer ${TOKEN}`);
    assert.equal(api.requests[0]!.target, "/v1/orders");
  });

  it("turns a downstream 403 insufficient_scope into a StepUpRequiredError naming every scope the call needs", async () => {
    api.respond(answer(403, "application/json", '{"error":"insufficient_scope"}', { "www-authenticate": 'Bearer error="insufficient_scope", scope="Orders.Admin"' }));
    await assert.rejects(run(tools[1]!), (error: unknown) => {
      assert.ok(error instanceof StepUpRequiredError, String(error));
      assert.equal(error.stepUp.reason, "insufficient_scope");
      assert.deepEqual(error.stepUp.scopes, ["api://contoso-orders/Orders.Write", "api://contoso-orders/Orders.Admin"]);
      assert.match(error.message, /needs more permissions than you granted \(Orders\.Write, Orders\.Admin\)/);
      return true;
    });
  });

  it("a plain 403 stays an ordinary error", async () => {
    api.respond(answer(403, "application/json", '{"error":"forbidden"}'));
    await assert.rejects(run(tools[0]!), (error: unknown) => !(error instanceof StepUpRequiredError) && /answered 403 Forbidden/.test(String(error)));
  });

  it("a 401 says the API refused the credentials the kit sent", async () => {
    api.respond(answer(401, "application/json", "{}", { "www-authenticate": 'Bearer error="invalid_token"' }));
    await assert.rejects(run(tools[0]!), /answered 401 Unauthorized\. The API refused the credentials the kit sent for you\./);
  });
});
