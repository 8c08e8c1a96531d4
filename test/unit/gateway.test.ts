/**
 * The gateway's rules that need no network: declarations, namespaces,
 * untrusted text, and what of a downstream's listing is offered.
 */
import assert from "node:assert/strict";
import { remoteServer, RemoteServerError } from "../../lib/gateway/index.js";
import { cleanListing, namespacedUri, originalUri } from "../../lib/gateway/listing.js";
import { checkRemoteServers } from "../../lib/gateway/remote-server.js";
import { boundedSchema, cleanLabel, cleanMessage, cleanText, UNTRUSTED_LIMITS } from "../../lib/gateway/untrusted-text.js";
import { checkDefinition } from "../../lib/mcp/server.js";
import { defineTool } from "../../lib/mcp/index.js";

const CRM = "https://crm.contoso.example/mcp";

describe("gateway: remoteServer({...})", () => {
  it("takes a server with its defaults: prefix <name>_, a 60 s deadline, every tool offered", () => {
    const server = remoteServer({ name: "crm", url: CRM, scopes: ["api://contoso-crm/Crm.Read"] });
    assert.equal(server.prefix, "crm_");
    assert.equal(server.timeoutMs, 60_000);
    assert.equal(server.url.href, CRM);
    assert.ok(server.offers("anything"));
  });

  const refusals: Array<[string, Parameters<typeof remoteServer>[0], RegExp]> = [
    ["a name that is not a short name", { name: "CRM server", url: CRM }, /Remote server "CRM server": name must be 1-32 characters of a-z 0-9 -/],
    ["a URL that is not one", { name: "crm", url: "crm.contoso.example" }, /Remote server "crm": url "crm\.contoso\.example" is not an absolute URL/],
    ["a URL with credentials", { name: "crm", url: "https://user:pw@crm.contoso.example/mcp" }, /must not carry credentials/],
    ["another scheme", { name: "crm", url: "ftp://crm.contoso.example/" }, /url must be https/],
    ["no scopes", { name: "crm", url: CRM, scopes: [] }, /scopes must list at least one scope/],
    ["a short-form scope", { name: "crm", url: CRM, scopes: ["Crm.Read"] }, /scope "Crm\.Read" must be in full form/],
    ["scopes of two APIs", { name: "crm", url: CRM, scopes: ["api://contoso-crm/Crm.Read", "https://graph.microsoft.com/User.Read"] }, /belong to more than one API/],
    ["a prefix with spaces", { name: "crm", url: CRM, prefix: "crm " }, /prefix "crm " must be 1-64 characters/],
    ["an include pattern that is no tool name", { name: "crm", url: CRM, include: ["find tickets"] }, /include entry "find tickets" must be a tool name/],
    ["a deadline beyond 225 s", { name: "crm", url: CRM, timeoutMs: 300_000 }, /timeoutMs must be a whole number of milliseconds between 1 and 225000/],
  ];
  for (const [label, spec, expected] of refusals) {
    it(`refuses ${label}, naming the server`, () => {
      assert.throws(() => remoteServer(spec), (error: unknown) => error instanceof RemoteServerError && expected.test(error.message));
    });
  }

  it("offers the tools include names (with * wildcards) and never those exclude names", () => {
    const server = remoteServer({ name: "crm", url: CRM, include: ["find_*", "get_account"], exclude: ["find_secret*"] });
    assert.ok(server.offers("find_account"));
    assert.ok(server.offers("get_account"));
    assert.ok(!server.offers("get_accounts"), "a pattern matches the whole name");
    assert.ok(!server.offers("find_secret_notes"));
    assert.ok(!server.offers("delete_account"));
    assert.ok(!remoteServer({ name: "crm", url: CRM, include: ["a.b"] }).offers("aXb"), "a dot is a dot");
  });

  it("refuses servers whose names or prefixes could be confused, and tools that begin with a server's prefix", () => {
    const crm = remoteServer({ name: "crm", url: CRM });
    assert.throws(() => checkRemoteServers([crm, crm], []), /Remote server "crm": declared twice/);
    assert.throws(() => checkRemoteServers([crm, remoteServer({ name: "crm2", url: CRM, prefix: "crm_eu_" })], []), /its prefix "crm_" begins the prefix "crm_eu_" of remote server "crm2"/);
    assert.throws(() => checkRemoteServers([crm], ["echo", "crm_find"]), /the tool "crm_find" begins with its prefix "crm_"/);
    assert.doesNotThrow(() => checkRemoteServers([crm, remoteServer({ name: "tickets", url: CRM })], ["echo"]));
  });

  it("refuses to serve a server whose scopes are not known yet, telling how to read them", () => {
    const echo = defineTool({ name: "echo", description: "Echo", input: {}, async run() { return "x"; } });
    assert.throws(() => checkDefinition({ name: "kit", version: "1", tools: [echo], remoteServers: [remoteServer({ name: "crm", url: CRM })] }), /Remote server "crm": declares no scopes and they were not read from its metadata: run resolveRemoteServers/);
  });

  it("namespaces resource URIs with the server's name, and maps them back", () => {
    const crm = remoteServer({ name: "crm", url: CRM });
    assert.equal(namespacedUri(crm, "file:///notes/a.md"), "crm+file:///notes/a.md");
    assert.equal(originalUri(crm, "crm+file:///notes/a.md"), "file:///notes/a.md");
    assert.equal(originalUri(crm, "crmx+file:///notes/a.md"), undefined);
    assert.equal(originalUri(crm, "file:///notes/a.md"), undefined);
  });
});

describe("gateway: untrusted downstream text", () => {
  it("removes control, bidirectional, zero-width and separator characters from labels and collapses whitespace", () => {
    assert.equal(cleanLabel("Pay\u202Eyag\u202C  now\u200B\u0007\u2028!"), "Payyag now !");
    assert.equal(cleanLabel("a\nb\tc"), "a b c");
    assert.equal(cleanLabel("\u2066isolated\u2069 \uFEFFbom \u00ADsoft \uE000private"), "isolated bom soft private");
  });

  it("masks anything shaped like a token in a server's messages, and bounds them", () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${"eyJzdWIiOiJ4In0"}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;
    const cleaned = cleanMessage(`refused ${jwt} and Bearer abc.def-123\u202E`);
    assert.ok(!cleaned.includes(jwt), cleaned);
    assert.match(cleaned, /refused \[redacted-jwt\] and Bearer \[redacted\]$/);
    assert.equal(cleanMessage("y".repeat(2000)).length, UNTRUSTED_LIMITS.message);
  });

  it("keeps line breaks and tabs in descriptions, and cuts long text without splitting a surrogate pair", () => {
    assert.equal(cleanText("line 1\r\nline\u202E 2\tend"), "line 1\nline 2\tend");
    const long = cleanText("x".repeat(10_000));
    assert.equal(long.length, UNTRUSTED_LIMITS.description);
    assert.ok(long.endsWith("…"));
    const emoji = cleanLabel(`${"a".repeat(126)}😀😀`);
    assert.ok(!/[\uD800-\uDBFF]…$/.test(emoji), "no lone high surrogate before the ellipsis");
  });

  it("bounds schemas by size and depth, and copies them", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const bounded = boundedSchema(schema);
    assert.ok("schema" in bounded);
    assert.deepEqual(bounded.schema, schema);
    assert.notEqual(bounded.schema, schema);
    assert.match((boundedSchema({ type: "object", description: "x".repeat(70_000) }) as { refused: string }).refused, /larger than 65536 bytes/);
    let deep: Record<string, unknown> = { type: "string" };
    for (let level = 0; level < 40; level++) deep = { type: "object", properties: { nested: deep } };
    assert.match((boundedSchema(deep) as { refused: string }).refused, /nested deeper than 32 levels/);
    assert.match((boundedSchema([1, 2]) as { refused: string }).refused, /not a JSON object/);
  });

  it("offers what can be offered of a listing, reporting each item left out and why", () => {
    const server = remoteServer({ name: "crm", url: CRM, exclude: ["hidden"] });
    const skipped: string[] = [];
    const listing = cleanListing(
      server,
      {
        tools: [
          { name: "find", title: "Find\u202E", inputSchema: { type: "object", properties: { q: { type: "string" } } }, annotations: { readOnlyHint: true, title: "Find!", custom: "dropped" } },
          { name: "find", inputSchema: { type: "object" } },
          { name: "bad name", inputSchema: { type: "object" } },
          { name: "hidden", inputSchema: { type: "object" } },
          { name: "array_input", inputSchema: { type: "array" } },
          { name: "x".repeat(125), inputSchema: { type: "object" } },
          { name: "huge", inputSchema: { type: "object", description: "x".repeat(70_000) } },
          "not even an object",
        ],
        resources: [{ uri: "file:///a.md", name: "A" }, { uri: "no scheme", name: "B" }, { uri: "file:///c.md" }],
        templates: [{ uriTemplate: "file:///{path}", name: "files" }],
        prompts: [{ name: "summarize", arguments: [{ name: "topic", required: true }] }, { name: "bad prompt" }],
        prior: undefined,
      },
      (item, reason) => skipped.push(`${item}: ${reason}`),
    );
    assert.deepEqual([...listing.tools.keys()], ["crm_find"]);
    const find = listing.tools.get("crm_find")!;
    assert.equal(find.original, "find");
    assert.equal(find.title, "Find");
    assert.deepEqual(find.annotations, { readOnlyHint: true, title: "Find!" });
    assert.deepEqual(find.input["~standard"].jsonSchema.input({ target: "draft-2020-12" }), { type: "object", properties: { q: { type: "string" } } });
    assert.deepEqual(find.input["~standard"].validate({ anything: 1 }), { value: { anything: 1 } }, "the downstream validates its own input");
    assert.deepEqual(
      listing.resources.map((resource) => resource.uri),
      ["crm+file:///a.md"],
    );
    assert.deepEqual(
      listing.templates.map((template) => template.uriTemplate),
      ["crm+file:///{path}"],
    );
    assert.deepEqual([...listing.prompts.keys()], ["crm_summarize"]);
    assert.equal(skipped.length, 9, skipped.join("\n"));
    assert.ok(skipped.some((line) => /tool find: it is listed twice/.test(line)));
    assert.ok(skipped.some((line) => /tool "bad name": its name is not a tool name/.test(line)));
    assert.ok(skipped.some((line) => /array_input: its input schema does not describe an object/.test(line)));
    assert.ok(skipped.some((line) => /longer than 128 characters/.test(line)));
    assert.ok(skipped.some((line) => /huge: its input schema: the schema is larger than 65536 bytes/.test(line)));
    assert.ok(!skipped.some((line) => line.includes("hidden")), "what the declaration excludes is not reported");
  });
});
