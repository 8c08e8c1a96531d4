/**
 * Request building of generated OpenAPI tools, as a table: each row is one
 * parameter (or body) declaration, the arguments a client sends through
 * `/mcp`, and exactly what must arrive at a recording server. The expected
 * wire forms are the examples of the OpenAPI specification's style table
 * (§4.8.12.4) and RFC 3986 percent-encoding.
 */
import assert from "node:assert/strict";
import { openApiTools } from "../../lib/openapi/index.js";
import type { AnyTool } from "../../lib/mcp/index.js";
import { inProcessServer } from "../support/in-process.js";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";

interface ParameterRow {
  readonly title: string;
  /** The parameter declaration (name "p" unless given). */
  readonly parameter: Record<string, unknown>;
  readonly value: unknown;
  /** The request target that must arrive (path and query), for path and query rows. */
  readonly target?: string;
  /** A header that must arrive, for header and cookie rows. */
  readonly header?: readonly [string, string];
}

const COLOR = ["blue", "black", "brown"];
const RGB = { R: 100, G: 200, B: 150 };
const path = (style: string, explode: boolean, schema: Record<string, unknown> = { type: "string" }): Record<string, unknown> => ({ name: "color", in: "path", required: true, style, explode, schema });
const query = (style: string, explode: boolean, schema: Record<string, unknown>): Record<string, unknown> => ({ name: "color", in: "query", style, explode, schema });
const ARRAY = { type: "array", items: { type: "string" } };
const OBJECT = { type: "object", properties: { R: { type: "integer" }, G: { type: "integer" }, B: { type: "integer" } } };

const ROWS: readonly ParameterRow[] = [
  { title: "path simple string", parameter: path("simple", false), value: "blue", target: "/base/r/blue" },
  { title: "path simple list", parameter: path("simple", false, ARRAY), value: COLOR, target: "/base/r/blue,black,brown" },
  { title: "path simple exploded list", parameter: path("simple", true, ARRAY), value: COLOR, target: "/base/r/blue,black,brown" },
  { title: "path simple object", parameter: path("simple", false, OBJECT), value: RGB, target: "/base/r/R,100,G,200,B,150" },
  { title: "path simple exploded object", parameter: path("simple", true, OBJECT), value: RGB, target: "/base/r/R=100,G=200,B=150" },
  { title: "path label string", parameter: path("label", false), value: "blue", target: "/base/r/.blue" },
  { title: "path label list", parameter: path("label", false, ARRAY), value: COLOR, target: "/base/r/.blue,black,brown" },
  { title: "path label exploded list", parameter: path("label", true, ARRAY), value: COLOR, target: "/base/r/.blue.black.brown" },
  { title: "path label object", parameter: path("label", false, OBJECT), value: RGB, target: "/base/r/.R,100,G,200,B,150" },
  { title: "path label exploded object", parameter: path("label", true, OBJECT), value: RGB, target: "/base/r/.R=100.G=200.B=150" },
  { title: "path matrix string", parameter: path("matrix", false), value: "blue", target: "/base/r/;color=blue" },
  { title: "path matrix list", parameter: path("matrix", false, ARRAY), value: COLOR, target: "/base/r/;color=blue,black,brown" },
  { title: "path matrix exploded list", parameter: path("matrix", true, ARRAY), value: COLOR, target: "/base/r/;color=blue;color=black;color=brown" },
  { title: "path matrix object", parameter: path("matrix", false, OBJECT), value: RGB, target: "/base/r/;color=R,100,G,200,B,150" },
  { title: "path matrix exploded object", parameter: path("matrix", true, OBJECT), value: RGB, target: "/base/r/;R=100;G=200;B=150" },
  { title: "path value with reserved characters stays one segment", parameter: path("simple", false), value: "a/b c?#%&", target: "/base/r/a%2Fb%20c%3F%23%25%26" },
  { title: "path value with sub-delimiters and Unicode", parameter: path("simple", false), value: "it's (ü)*!", target: "/base/r/it%27s%20%28%C3%BC%29%2A%21" },
  { title: "path integer", parameter: { ...path("simple", false), schema: { type: "integer" } }, value: 42, target: "/base/r/42" },
  { title: "query form string", parameter: query("form", true, { type: "string" }), value: "blue", target: "/base/r?color=blue" },
  { title: "query form exploded list", parameter: query("form", true, ARRAY), value: COLOR, target: "/base/r?color=blue&color=black&color=brown" },
  { title: "query form list", parameter: query("form", false, ARRAY), value: COLOR, target: "/base/r?color=blue,black,brown" },
  { title: "query form exploded object", parameter: query("form", true, OBJECT), value: RGB, target: "/base/r?R=100&G=200&B=150" },
  { title: "query form object", parameter: query("form", false, OBJECT), value: RGB, target: "/base/r?color=R,100,G,200,B,150" },
  { title: "query spaceDelimited list", parameter: query("spaceDelimited", false, ARRAY), value: COLOR, target: "/base/r?color=blue%20black%20brown" },
  { title: "query pipeDelimited list", parameter: query("pipeDelimited", false, ARRAY), value: COLOR, target: "/base/r?color=blue|black|brown" },
  { title: "query deepObject", parameter: query("deepObject", true, OBJECT), value: RGB, target: "/base/r?color[R]=100&color[G]=200&color[B]=150" },
  { title: "query default style (form, exploded)", parameter: { name: "color", in: "query", schema: ARRAY }, value: COLOR, target: "/base/r?color=blue&color=black&color=brown" },
  { title: "query value cannot add parameters", parameter: query("form", true, { type: "string" }), value: "a&b=c+d e#f", target: "/base/r?color=a%26b%3Dc%2Bd%20e%23f" },
  { title: "query allowReserved keeps reserved characters, not the separators", parameter: { ...query("form", true, { type: "string" }), allowReserved: true }, value: "/x?y:z@w&v=1", target: "/base/r?color=/x?y:z@w%26v%3D1" },
  { title: "query parameter name is encoded", parameter: { name: "filter[name]", in: "query", schema: { type: "string" } }, value: "Ada", target: "/base/r?filter%5Bname%5D=Ada" },
  { title: "query boolean and number", parameter: { name: "flag", in: "query", schema: { type: "boolean" } }, value: false, target: "/base/r?flag=false" },
  { title: "query empty list sends nothing", parameter: query("form", true, ARRAY), value: [], target: "/base/r" },
  { title: "query parameter given as JSON content", parameter: { name: "where", in: "query", content: { "application/json": { schema: { type: "object" } } } }, value: { a: 1 }, target: "/base/r?where=%7B%22a%22%3A1%7D" },
  { title: "header string", parameter: { name: "X-Trace", in: "header", schema: { type: "string" } }, value: "abc 123", header: ["x-trace", "abc 123"] },
  { title: "header list", parameter: { name: "X-List", in: "header", schema: ARRAY }, value: COLOR, header: ["x-list", "blue,black,brown"] },
  { title: "header object", parameter: { name: "X-Obj", in: "header", schema: OBJECT }, value: RGB, header: ["x-obj", "R,100,G,200,B,150"] },
  { title: "header exploded object", parameter: { name: "X-Obj", in: "header", explode: true, schema: OBJECT }, value: RGB, header: ["x-obj", "R=100,G=200,B=150"] },
  { title: "cookie string", parameter: { name: "session", in: "cookie", schema: { type: "string" } }, value: "abc; def", header: ["cookie", "session=abc%3B%20def"] },
  { title: "cookie list", parameter: { name: "ids", in: "cookie", schema: ARRAY }, value: ["1", "2"], header: ["cookie", "ids=1,2"] },
];

/** A document with one operation per row (`r0`, `r1`...), its parameter named as the row says. */
function documentOf(rows: readonly ParameterRow[], server: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  rows.forEach((row, index) => {
    const isPath = row.parameter["in"] === "path";
    paths[isPath ? `/r${index}/{${String(row.parameter["name"])}}` : `/r${index}`] = { get: { operationId: `r${index}`, parameters: [row.parameter], responses: { "200": { description: "ok" } } } };
  });
  return { openapi: "3.1.0", info: { title: "Recording", version: "1" }, servers: [{ url: `${server}/base` }], paths };
}

describe("OpenAPI tools: request building", function () {
  this.timeout(30_000);
  let recorder: RecordingServer;
  let tools: AnyTool[];
  let server: ReturnType<typeof inProcessServer>;

  before(async () => {
    recorder = await startRecordingServer();
    tools = await openApiTools({ document: documentOf(ROWS, recorder.origin) });
    server = inProcessServer(tools);
  });
  after(async () => recorder?.close());
  beforeEach(() => recorder.reset());

  for (const [index, row] of ROWS.entries()) {
    it(`${row.title}: ${JSON.stringify(row.value)}`, async () => {
      const argument = String(row.parameter["name"]).replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "");
      const answer = await server.call("tools/call", { name: `r${index}`, arguments: { [argument]: row.value } });
      assert.equal(answer.result?.isError, undefined, JSON.stringify(answer));
      assert.equal(recorder.requests.length, 1);
      const received = recorder.requests[0]!;
      assert.equal(received.method, "GET");
      if (row.target !== undefined) assert.equal(received.target.replace(`/r${index}`, "/r"), row.target);
      if (row.header !== undefined) assert.equal(received.headers[row.header[0]], row.header[1]);
    });
  }

  it("never takes Accept, Content-Type or Authorization from the document's parameters", async () => {
    const document = documentOf([], recorder.origin);
    (document["paths"] as Record<string, unknown>)["/h"] = {
      get: {
        operationId: "h",
        parameters: ["Accept", "Content-Type", "Authorization"].map((name) => ({ name, in: "header", schema: { type: "string" } })),
        responses: { "200": { description: "ok" } },
      },
    };
    const [tool] = await openApiTools({ document });
    const schema = tool!.input as { schema: { properties: Record<string, unknown> } };
    assert.deepEqual(Object.keys(schema.schema.properties), []);
  });
});

describe("OpenAPI tools: request bodies", function () {
  this.timeout(30_000);
  let recorder: RecordingServer;
  let server: ReturnType<typeof inProcessServer>;

  const body = (mediaType: string, schema: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    post: { operationId: mediaType.replace(/[^a-z]/g, "_"), requestBody: { required: true, content: { [mediaType]: { schema, ...extra } } }, responses: { "204": { description: "done" } } },
  });

  before(async () => {
    recorder = await startRecordingServer();
    const document = {
      openapi: "3.0.3",
      info: { title: "Bodies", version: "1" },
      servers: [{ url: recorder.origin }],
      paths: {
        "/json": body("application/json", { type: "object", properties: { id: { type: "string", readOnly: true }, name: { type: "string" }, tags: { type: "array", items: { type: "string" } } }, required: ["id", "name"] }),
        "/patch": body("application/merge-patch+json", { type: "object" }),
        "/form": body("application/x-www-form-urlencoded", { type: "object", properties: { name: { type: "string" }, tags: ARRAY, ids: ARRAY } }, { encoding: { ids: { style: "form", explode: false } } }),
        "/multipart": body("multipart/form-data", { type: "object", properties: { title: { type: "string" }, file: { type: "string", format: "binary" } } }),
        "/text": body("text/plain", { type: "string" }),
        "/bytes": body("application/octet-stream", { type: "string", format: "binary" }),
        "/both": { post: { operationId: "both", requestBody: { content: { "text/plain": { schema: { type: "string" } }, "application/json": { schema: { type: "object" } } } }, responses: { "204": { description: "done" } } } },
      },
    };
    server = inProcessServer(await openApiTools({ document }));
    recorder.respond((_request, response) => {
      response.writeHead(204);
      response.end();
    });
  });
  after(async () => recorder?.close());
  beforeEach(() => {
    recorder.requests.length = 0;
  });

  const send = async (tool: string, value: unknown): Promise<{ contentType: string | undefined; body: Buffer; text: string }> => {
    const answer = await server.call("tools/call", { name: tool, arguments: { body: value } });
    assert.equal(answer.result?.isError, undefined, JSON.stringify(answer));
    const received = recorder.requests.at(-1)!;
    return { contentType: received.headers["content-type"], body: received.body, text: received.body.toString("utf8") };
  };

  it("JSON: the body as JSON, a readOnly property not asked for (3.0 document)", async () => {
    const listed = await server.call("tools/list");
    const json = listed.result!.tools!.find((tool) => tool["name"] === "application_json")!;
    const bodySchema = (json["inputSchema"] as { properties: { body: { properties: Record<string, unknown>; required: string[] } } }).properties.body;
    assert.deepEqual(Object.keys(bodySchema.properties), ["name", "tags"]);
    assert.deepEqual(bodySchema.required, ["name"]);
    const sent = await send("application_json", { name: "Ada", tags: ["x"] });
    assert.equal(sent.contentType, "application/json");
    assert.deepEqual(JSON.parse(sent.text), { name: "Ada", tags: ["x"] });
  });

  it("JSON variants keep their media type", async () => {
    assert.equal((await send("application_merge_patch_json", { a: null })).contentType, "application/merge-patch+json");
  });

  it("a form: fields form-encoded, lists repeated unless the encoding says otherwise", async () => {
    const sent = await send("application_x_www_form_urlencoded", { name: "Jane Doe & co", tags: ["a", "b"], ids: ["1", "2"] });
    assert.equal(sent.contentType, "application/x-www-form-urlencoded");
    assert.equal(sent.text, "name=Jane+Doe+%26+co&tags=a&tags=b&ids=1,2");
    assert.equal(new URLSearchParams(sent.text).get("name"), "Jane Doe & co");
  });

  it("multipart: text fields as parts, a binary field as a file from base64", async () => {
    const sent = await send("multipart_form_data", { title: "Report", file: Buffer.from("hello file").toString("base64") });
    assert.match(sent.contentType ?? "", /^multipart\/form-data; boundary=/);
    assert.match(sent.text, /name="title"\r\n\r\nReport\r\n/);
    assert.match(sent.text, /name="file"; filename="file"\r\nContent-Type: application\/octet-stream\r\n\r\nhello file\r\n/);
  });

  it("text as is, bytes from base64", async () => {
    const text = await send("text_plain", "line one\nline two");
    assert.equal(text.contentType, "text/plain");
    assert.equal(text.text, "line one\nline two");
    const bytes = await send("application_octet_stream", Buffer.from([0, 1, 2, 255]).toString("base64"));
    assert.equal(bytes.contentType, "application/octet-stream");
    assert.deepEqual([...bytes.body], [0, 1, 2, 255]);
  });

  it("the body is listed after the parameters and keeps its name; a parameter called body gives way", async () => {
    const document = {
      openapi: "3.1.0",
      info: { title: "Names", version: "1" },
      servers: [{ url: recorder.origin }],
      paths: {
        "/things/{id}": {
          post: {
            operationId: "named",
            parameters: [
              { name: "id", in: "path", required: true, schema: { type: "string" } },
              { name: "body", in: "query", schema: { type: "string" } },
              { name: "id", in: "header", schema: { type: "string" } },
            ],
            requestBody: { content: { "application/json": { schema: { type: "object" } } } },
            responses: { "204": { description: "done" } },
          },
        },
      },
    };
    const named = inProcessServer(await openApiTools({ document }));
    const listed = await named.call("tools/list");
    assert.deepEqual(Object.keys((listed.result!.tools![0]!["inputSchema"] as { properties: object }).properties), ["id", "query_body", "header_id", "body"]);
    await named.call("tools/call", { name: "named", arguments: { id: "a", query_body: "q", header_id: "h", body: { x: 1 } } });
    const received = recorder.requests.at(-1)!;
    assert.equal(received.target, "/things/a?body=q");
    assert.equal(received.headers["id"], "h");
    assert.equal(received.body.toString("utf8"), '{"x":1}');
  });

  it("of several media types, JSON is chosen", async () => {
    assert.equal((await send("both", { x: 1 })).contentType, "application/json");
  });
});

describe("OpenAPI tools: arguments that would leave the operation", function () {
  this.timeout(30_000);
  let recorder: RecordingServer;
  let server: ReturnType<typeof inProcessServer>;

  before(async () => {
    recorder = await startRecordingServer();
    const document = {
      openapi: "3.1.0",
      info: { title: "Guarded", version: "1" },
      servers: [{ url: `${recorder.origin}/api` }],
      paths: {
        "/files/{name}": {
          get: {
            operationId: "file",
            parameters: [
              { name: "name", in: "path", required: true, schema: { type: "string" } },
              { name: "X-Note", in: "header", schema: { type: "string" } },
            ],
            responses: { "200": { description: "ok" } },
          },
        },
      },
    };
    server = inProcessServer(await openApiTools({ document }));
  });
  after(async () => recorder?.close());

  for (const name of ["..", ".", ""]) {
    it(`refuses the path value ${JSON.stringify(name)}, sending nothing`, async () => {
      recorder.requests.length = 0;
      const answer = await server.call("tools/call", { name: "file", arguments: { name } });
      assert.equal(answer.result?.isError, true);
      assert.match(answer.result!.content[0]!.text!, /cannot be .*one path segment/);
      assert.equal(recorder.requests.length, 0);
    });
  }

  it("keeps ../ inside one segment, under the base path", async () => {
    recorder.requests.length = 0;
    const answer = await server.call("tools/call", { name: "file", arguments: { name: "../../admin" } });
    assert.equal(answer.result?.isError, undefined, JSON.stringify(answer));
    assert.equal(recorder.requests[0]!.target, "/api/files/..%2F..%2Fadmin");
  });

  it("refuses a header value with a line break, sending nothing", async () => {
    recorder.requests.length = 0;
    const answer = await server.call("tools/call", { name: "file", arguments: { name: "a", "X-Note": "x\r\nInjected: yes" } });
    assert.equal(answer.result?.isError, true);
    assert.match(answer.result!.content[0]!.text!, /header X-Note.*line breaks/);
    assert.equal(recorder.requests.length, 0);
  });
});
