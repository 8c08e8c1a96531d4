/**
 * Documents the kit must refuse, or handle cleanly, at startup: hand-made
 * hostile ones (circular `$ref`s, huge enums, deep nesting, operationId
 * collisions, control characters), broken or unsupported ones (each refusal
 * naming the document and the operation), and the ways a document arrives
 * (object, JSON or YAML file, https URL through the SSRF-safe fetch).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { stringify } from "yaml";
import { ensureDevTls } from "../../dev/tls.js";
import type { AnyTool } from "../../lib/mcp/index.js";
import { schemasOf } from "../../lib/mcp/schemas.js";
import { OpenApiError, openApiTools, type OpenApiToolsOptions } from "../../lib/openapi/index.js";
import { inProcessServer } from "../support/in-process.js";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";

const SERVER = "https://api.example.test";

/** A 3.1 document with `paths`, one server, and optional components. */
function doc(paths: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { openapi: "3.1.0", info: { title: "Hand-made", version: "1" }, servers: [{ url: SERVER }], paths, ...extra };
}
const ok = { "200": { description: "ok" } };
const get = (operationId: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({ get: { operationId, responses: ok, ...more } });
const inputOf = (tool: AnyTool): Record<string, unknown> => schemasOf(tool).input["~standard"].jsonSchema.input({ target: "draft-2020-12" });
const outputOf = (tool: AnyTool): Record<string, unknown> | undefined => schemasOf(tool).output?.["~standard"].jsonSchema.output({ target: "draft-2020-12" });

/** Asserts that generation is refused with an OpenApiError whose message matches every pattern. */
async function refused(options: OpenApiToolsOptions, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(openApiTools(options), (error: unknown) => {
    assert.ok(error instanceof OpenApiError, String(error));
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("OpenAPI documents: hostile ones", function () {
  this.timeout(60_000);
  let recorder: RecordingServer;
  before(async () => (recorder = await startRecordingServer()));
  after(async () => recorder?.close());

  it("circular $refs become $defs; the schema compiles and validates nested input", async () => {
    const node = { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/components/schemas/Node" } } }, required: ["name"] };
    const document = {
      openapi: "3.0.3",
      info: { title: "Trees", version: "1" },
      servers: [{ url: recorder.origin }],
      components: { schemas: { Node: node, Pair: { type: "object", properties: { other: { $ref: "#/components/schemas/Mirror" } } }, Mirror: { type: "object", properties: { back: { $ref: "#/components/schemas/Pair" } } } } },
      paths: {
        "/trees": {
          post: {
            operationId: "plant",
            requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Node" } } } },
            responses: { "200": { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Pair" } } } } },
          },
        },
      },
    };
    const [tool] = await openApiTools({ document });
    const input = inputOf(tool!);
    const defs = input["$defs"] as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(defs ?? {}), ["Node"], JSON.stringify(input));
    const name = "Node";
    assert.deepEqual((input["properties"] as Record<string, unknown>)["body"], { $ref: `#/$defs/${name}` });
    assert.equal(JSON.stringify(defs[name]).includes(`"$ref":"#/$defs/${name}"`), true);
    const ajv = new Ajv2020({ strict: false, logger: false });
    const validate = ajv.compile(input);
    assert.equal(validate({ body: { name: "root", children: [{ name: "a", children: [{ name: "b" }] }] } }), true);
    assert.equal(validate({ body: { name: "root", children: [{ children: [] }] } }), false, "a nested node without its required name");
    const output = outputOf(tool!)!;
    assert.deepEqual(Object.keys(output["$defs"] as object), ["Pair"]);
    assert.equal(output["type"], "object", "the cycle's own object at the root");
    ajv.compile(output);

    const server = inProcessServer([tool!]);
    recorder.respond((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"other":{"back":{"other":{}}}}');
    });
    const answer = await server.call("tools/call", { name: "plant", arguments: { body: { name: "root", children: [{ name: "leaf" }] } } });
    assert.deepEqual(answer.result?.structuredContent, { other: { back: { other: {} } } });
    assert.deepEqual(JSON.parse(recorder.requests[0]!.body.toString("utf8")), { name: "root", children: [{ name: "leaf" }] });
  });

  it("a huge enum is dropped from the schema, and the description says so", async () => {
    const values = Array.from({ length: 5000 }, (_, index) => `v${index}`);
    const [tool] = await openApiTools({ document: doc({ "/x": get("pick", { parameters: [{ name: "value", in: "query", description: "The value", schema: { type: "string", enum: values } }] }) }) });
    const value = (inputOf(tool!)["properties"] as Record<string, Record<string, unknown>>)["value"]!;
    assert.equal(value["enum"], undefined);
    assert.equal(value["type"], "string");
    assert.match(String(value["description"]), /One of 5000 values/);
    assert.ok(JSON.stringify(inputOf(tool!)).length < 1000);
  });

  it("schemas nested deeper than 64 levels are refused, naming the operation", async () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let level = 0; level < 100; level++) schema = { type: "object", properties: { deeper: schema } };
    await refused({ document: doc({ "/deep": { post: { operationId: "deep", requestBody: { content: { "application/json": { schema } } }, responses: ok } } }) }, /operation "deep" \(POST \/deep\)/, /nested deeper than 64 levels/);
  });

  it("two operations that would share a tool name are refused, naming both", async () => {
    await refused({ document: doc({ "/a": get("get order"), "/b": get("get/order") }) }, /operation "get\/order" \(GET \/b\)/, /tool name "get_order" is also the name of "get order" \(GET \/a\)/);
  });

  it("a duplicated operationId is refused by the validator", async () => {
    await refused({ document: doc({ "/a": get("same"), "/b": get("same") }) }, /is not valid OpenAPI 3\.1/, /same/);
  });

  it("control characters and other scripts leave names, titles and descriptions; the wire keeps the real names", async () => {
    const document = doc({
      "/q": get("list\u0000orders\u202e\u0007", {
        summary: "List\u0007 orders\u001b[2J",
        description: "Line one\nline\u0000 two",
        parameters: [{ name: "q\u0007ü", in: "query", description: "Query\u0000", schema: { type: "string" } }],
      }),
    });
    document["servers"] = [{ url: recorder.origin }];
    const [tool] = await openApiTools({ document });
    assert.equal(tool!.name, "list_orders");
    assert.equal(tool!.title, "List orders[2J");
    assert.equal(tool!.description, "List orders[2J\n\nLine one\nline two");
    const properties = inputOf(tool!)["properties"] as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(properties), ["q"]);
    assert.equal(properties["q"]!["description"], "Query");
    recorder.reset();
    await inProcessServer([tool!]).call("tools/call", { name: "list_orders", arguments: { q: "x" } });
    assert.equal(recorder.requests[0]!.target, "/q?q%07%C3%BC=x");
  });

  it("a name longer than 128 characters is cut with a hash, so two long names stay apart", async () => {
    const long = "a".repeat(200);
    const tools = await openApiTools({ document: doc({ "/a": get(`${long}1`), "/b": get(`${long}2`) }), prefix: "p_" });
    assert.ok(tools.every((tool) => tool.name.length === 128 && tool.name.startsWith("p_aaaa")));
    assert.notEqual(tools[0]!.name, tools[1]!.name);
  });

  it("an operation without operationId is named after its method and path", async () => {
    const [tool] = await openApiTools({ document: doc({ "/orders/{orderId}/lines": { delete: { parameters: [{ name: "orderId", in: "path", required: true, schema: { type: "string" } }], responses: ok } } }) });
    assert.equal(tool!.name, "delete_orders_orderId_lines");
    assert.deepEqual(tool!.annotations, { destructiveHint: true, openWorldHint: true });
    assert.equal(tool!.description, "DELETE /orders/{orderId}/lines");
  });

  it("does not change the caller's document object", async () => {
    const document = doc({ "/a": get("a", { parameters: [{ $ref: "#/components/parameters/P" }] }) }, { components: { parameters: { P: { name: "p", in: "query", schema: { $ref: "#/components/schemas/S" } } }, schemas: { S: { type: "string" } } } });
    const before = structuredClone(document);
    await openApiTools({ document });
    assert.deepEqual(document, before);
  });
});

describe("OpenAPI documents: refusals name the document and the operation", function () {
  this.timeout(60_000);

  it("an include or exclude entry that matches nothing", async () => {
    const document = doc({ "/a": get("a", { tags: ["t"] }) });
    await refused({ document, include: ["a", "nope"] }, /OpenAPI document "Hand-made": the include entry "nope" matches no operation/, /tag:orders/);
    await refused({ document, exclude: ["tag:missing"] }, /the exclude entry "tag:missing" matches no operation/);
    await refused({ document, include: ["GET /b/*"] }, /"GET \/b\/\*" matches no operation/);
  });

  it("a broken document, with the validator's finding", async () => {
    await refused({ document: doc({ "/a/{id}": get("a") }) }, /"Hand-made": is not valid OpenAPI 3\.1/, /`\/paths\/a\/\{id\}\/get` is missing path parameter\(s\) for `\{id\}`/);
    await refused({ document: doc({ "/a": { get: { operationId: "a" } } }, { openapi: "3.0.3" }) }, /is not valid OpenAPI 3\.0/);
  });

  it("validate: false skips the OpenAPI schema check, never the kit's own", async () => {
    const unversioned = { ...doc({ "/a": get("a") }), info: { title: "Hand-made" } };
    await refused({ document: unversioned }, /is not valid OpenAPI 3\.1/);
    assert.equal((await openApiTools({ document: unversioned, validate: false }))[0]!.name, "a");
    await refused({ document: doc({ "/a/{id}": get("a") }), validate: false }, /operation "a" \(GET \/a\/\{id\}\): the path parameter \{id\} is not declared/);
  });

  it("Swagger 2.0 and unknown versions", async () => {
    await refused({ document: { swagger: "2.0", info: { title: "Old", version: "1" }, paths: {} } }, /is Swagger 2\.0; convert it to OpenAPI 3 first/);
    await refused({ document: { openapi: "4.0.0", info: { title: "Future", version: "1" }, paths: {} } }, /declares openapi "4\.0\.0"; OpenAPI 3\.0\.x and 3\.1\.x are supported/);
  });

  it("an external $ref, which is never followed", async () => {
    await refused({ document: doc({ "/a": { post: { operationId: "a", requestBody: { content: { "application/json": { schema: { $ref: "https://evil.example/schema.json" } } } }, responses: ok } } }) }, /operation "a" \(POST \/a\): the request body: the external reference "https:\/\/evil\.example\/schema\.json" is not followed; bundle the document into one file first/);
  });

  it("a relative server URL without baseUrl (or a base URL tokens must not travel to)", async () => {
    const document = { ...doc({ "/a": get("a") }), servers: [{ url: "/api" }] };
    await refused({ document }, /operation "a" \(GET \/a\): its server URL "\/api" is relative and the document has no URL to resolve it against; give baseUrl/);
    await refused({ document: doc({ "/a": get("a") }), baseUrl: "http://api.example.test" }, /baseUrl http:\/\/api\.example\.test\/ must be https \(http only on loopback\)/);
    await refused({ document: doc({ "/a": get("a") }), baseUrl: "https://user:pw@api.example.test" }, /must not carry credentials/);
    await refused({ document: { ...doc({ "/a": get("a") }), servers: [] } }, /names no server; give baseUrl/);
    const [tool] = await openApiTools({ document, baseUrl: "https://api.example.test/v2" });
    assert.equal(tool!.name, "a");
  });

  it("server variables take their defaults", async () => {
    const document = { ...doc({ "/a": get("a") }), servers: [{ url: "https://{region}.example.test/{version}", variables: { region: { default: "eu" }, version: { default: "v1" } } }] };
    assert.equal((await openApiTools({ document })).length, 1);
  });

  it("security the kit cannot send, or scopes it cannot qualify", async () => {
    const schemes = {
      basic: { type: "http", scheme: "basic" },
      entra: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://login.example/token", scopes: { "Orders.Read": "read" } } } },
      bearer: { type: "http", scheme: "bearer" },
    };
    const secured = (security: unknown[]): Record<string, unknown> => doc({ "/a": get("a", { security }) }, { components: { securitySchemes: schemes } });
    await refused({ document: secured([{ basic: [] }]) }, /operation "a" \(GET \/a\): no security requirement can be met: the scheme "basic" is http basic/);
    await refused({ document: secured([{ entra: ["Orders.Read"] }]) }, /the scope "Orders\.Read" is a short name and the API's identifier URI is unknown; give scopes\.resource/);
    await refused({ document: secured([{ bearer: [] }]) }, /names no scopes for this operation; give scopes\.default/);
    await refused({ document: secured([{ entra: ["Orders.Read"], bearer: [] }]), scopes: { resource: "api://orders", default: ["Orders.Read"] } }, /combines two bearer schemes/);
    const needOf = (tool: AnyTool): unknown => (tool.needs as Record<string, { downstreamScopes?: unknown }>)["api"]?.downstreamScopes;
    assert.deepEqual(needOf((await openApiTools({ document: secured([{ entra: ["Orders.Read"] }]), scopes: { resource: "api://orders/" } }))[0]!), ["api://orders/Orders.Read"]);
    assert.deepEqual(needOf((await openApiTools({ document: secured([{ bearer: [] }]), scopes: { resource: "api://orders", default: ["Orders.Read"] } }))[0]!), ["api://orders/Orders.Read"]);
    // Of alternatives, the user's identity wins over an API key and over anonymous.
    const mixed = doc({ "/a": get("a", { security: [{}, { key: [] }, { entra: ["Orders.Read"] }] }) }, { components: { securitySchemes: { ...schemes, key: { type: "apiKey", in: "header", name: "k" } } } });
    const [tool] = await openApiTools({ document: mixed, scopes: { resource: "api://orders" } });
    assert.deepEqual(Object.keys(tool!.needs ?? {}), ["api"]);
  });

  it("a prefix that cannot start a tool name, and a bad maxResponseBytes", async () => {
    await refused({ document: doc({}), prefix: "has space" }, /prefix "has space" must be/);
    await refused({ document: doc({}), maxResponseBytes: 0 }, /maxResponseBytes must be a positive whole number/);
  });

  it("a path parameter the path does not have, or the reverse", async () => {
    await refused({ document: doc({ "/a": get("a", { parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }] }) }) }, /has a path parameter named `id`, but there is no corresponding `\{id\}` in the path string/);
  });
});

describe("OpenAPI documents: where they come from", function () {
  this.timeout(60_000);
  let directory: string;
  let https: Server;
  let origin: string;
  let served: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "openapi-docs-"));
    const tls = await ensureDevTls();
    https = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
      if (request.url === "/redirect") {
        response.writeHead(302, { location: "/openapi.json" });
        response.end();
        return;
      }
      response.writeHead(request.url === "/openapi.json" ? 200 : 404, { "content-type": "application/json" });
      response.end(request.url === "/openapi.json" ? served : "{}");
    });
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    origin = `https://localhost:${(https.address() as AddressInfo).port}`;
  });
  after(async () => {
    https?.closeAllConnections();
    await new Promise((resolve) => https?.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  it("a YAML file and a JSON file by path, or as a file: URL", async () => {
    const document = doc({ "/a": get("fromFile") });
    await writeFile(join(directory, "api.yaml"), stringify(document));
    await writeFile(join(directory, "api.json"), JSON.stringify(document));
    assert.equal((await openApiTools({ document: join(directory, "api.yaml") }))[0]!.name, "fromFile");
    assert.equal((await openApiTools({ document: new URL(`file://${join(directory, "api.json")}`) }))[0]!.name, "fromFile");
    await refused({ document: join(directory, "missing.json") }, new RegExp(`OpenAPI document ${join(directory, "missing.json").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: could not be read \\(ENOENT\\)`));
  });

  it("YAML that expands aliases without bound is refused", async () => {
    const bomb = ["openapi: 3.1.0", "a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, index) => `${String.fromCharCode(98 + index)}: &${String.fromCharCode(98 + index)} [${Array(10).fill(`*${String.fromCharCode(97 + index)}`).join(", ")}]`)].join("\n");
    await writeFile(join(directory, "bomb.yaml"), bomb);
    await refused({ document: join(directory, "bomb.yaml") }, /is neither valid JSON nor valid YAML/);
  });

  it("an https URL on a private address only when its host is allowed; relative servers resolve against it", async () => {
    served = JSON.stringify({ ...doc({ "/a": get("fromUrl") }), servers: [{ url: "/api/v1" }] });
    await refused({ document: `${origin}/openapi.json` }, /could not be fetched: The host does not resolve to a public internet address\. \(an internal host must be listed in privateHosts\)/);
    const [tool] = await openApiTools({ document: `${origin}/openapi.json`, privateHosts: [new URL(origin).host] });
    assert.equal(tool!.name, "fromUrl");
  });

  it("a redirecting, missing or non-https document URL is refused", async () => {
    const privateHosts = [new URL(origin).host];
    await refused({ document: `${origin}/redirect`, privateHosts }, /answered 302 \(a redirect to \/openapi\.json, which is not followed: give that URL\)/);
    await refused({ document: `${origin}/nothing.json`, privateHosts }, /answered 404/);
    await refused({ document: "http://api.example.test/openapi.json" }, /a document URL must be https/);
  });
});
