import assert from "node:assert/strict";
import { z } from "zod";
import { defineAppResource, definePrompt, defineResource, defineResourceTemplate, defineTool, DefinitionError, ToolDefinitionError } from "../../lib/mcp/index.js";
import { servedResources } from "../../lib/mcp/catalog.js";
import { checkDefinition, downstreamScopesOf, itemsOf } from "../../lib/mcp/server.js";
import { obo } from "../../lib/obo/need.js";
import { serverDefinition } from "../../tools/index.js";

const text = async (): Promise<string> => "ok";
const HTML = "<!DOCTYPE html><html><head></head><body></body></html>";

describe("defineResource and defineResourceTemplate", () => {
  it("refuses a URI that is not absolute, or that is a template", () => {
    assert.throws(() => defineResource({ uri: "just-a-name", name: "r", read: text }), /uri "just-a-name" is not an absolute URI/);
    assert.throws(() => defineResource({ uri: "orders://{id}", name: "r", read: text }), /contains template expressions; use defineResourceTemplate/);
  });

  it("refuses names clients cannot use, unusable limits and needs that hide the context", () => {
    assert.throws(() => defineResource({ uri: "a://b", name: "has space", read: text }), DefinitionError);
    assert.throws(() => defineResource({ uri: "a://b", name: "r", timeoutMs: 300_000, read: text }), /timeoutMs must be a whole number of milliseconds between 1 and 225000/);
    assert.throws(() => defineResource({ uri: "a://b", name: "r", maxBytes: 0, read: text }), /maxBytes must be a whole number of bytes/);
    assert.throws(() => defineResource({ uri: "a://b", name: "r", needs: { uri: obo(["https://graph.microsoft.com/User.Read"]) }, read: text }), /the need "uri" would hide the context's own "uri"/);
    assert.throws(() => defineResource({ uri: "a://b", name: "r", requires: { roles: ["has space"] }, read: text }), /required app role "has space"/);
  });

  it("refuses a template without variables, and variables or completions the template does not have", () => {
    assert.throws(() => defineResourceTemplate({ uriTemplate: "a://fixed", name: "t", read: text }), /has no variables; use defineResource/);
    assert.throws(
      () => defineResourceTemplate({ uriTemplate: "orders://{orderId}", name: "t", variables: { id: z.string() }, read: text }),
      /"id" is not a variable of orders:\/\/\{orderId\} \(its variables: orderId\)/,
    );
    assert.throws(() => defineResourceTemplate({ uriTemplate: "orders://{orderId}", name: "t", complete: { order: async () => [] }, read: text }), /"order" is not a variable/);
  });

  it("checks every variable of a template, a string schema where none is declared", () => {
    const template = defineResourceTemplate({ uriTemplate: "repos://{owner}/{repo}", name: "repo", variables: { repo: z.string().max(3) }, read: text });
    assert.deepEqual(Object.keys(template.variableSchemas).sort(), ["owner", "repo"]);
    assert.equal(template.variableSchemas["repo"]!.safeParse("long").success, false);
    assert.equal(template.variableSchemas["owner"]!.safeParse("anything").success, true);
  });
});

describe("definePrompt", () => {
  it("refuses an argument a client could not send as a string", () => {
    assert.throws(() => definePrompt({ name: "p", description: "d", arguments: { count: z.number() as never }, get: text }), /argument "count" must accept a string/);
    assert.doesNotThrow(() => definePrompt({ name: "p", description: "d", arguments: { tone: z.enum(["a", "b"]).optional(), topic: z.string() }, get: text }));
  });

  it("refuses an empty description and completions for arguments it does not have", () => {
    assert.throws(() => definePrompt({ name: "p", description: " ", arguments: {}, get: text }), /description must say what the prompt is for/);
    assert.throws(() => definePrompt({ name: "p", description: "d", arguments: { a: z.string() }, complete: { b: async () => [] }, get: text }), /complete names "b", which is not an argument \(arguments: a\)/);
  });
});

describe("defineAppResource", () => {
  it("needs a ui:// URI and a whole HTML document", () => {
    assert.throws(() => defineAppResource({ uri: "https://example.com/view", name: "v", html: HTML, csp: {} }), /must use the ui:\/\/ scheme/);
    assert.throws(() => defineAppResource({ uri: "ui://x/view", name: "v", html: "<div>hi</div>", csp: {} }), /whole HTML5 document/);
  });
});

describe("a server definition with resources and prompts", () => {
  const card = defineAppResource({ uri: "ui://x/card", name: "card", html: HTML, csp: {} });

  it("refuses two resources with one name or one URI, and two prompts with one name", () => {
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [], resources: [defineResource({ uri: "a://1", name: "same", read: text }), defineResource({ uri: "a://2", name: "same", read: text })] }), /defined twice/);
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [], resources: [defineResource({ uri: "a://1", name: "one", read: text }), defineResource({ uri: "a://1", name: "two", read: text })] }), /a:\/\/1 is served by two definitions/);
    const prompt = definePrompt({ name: "p", description: "d", arguments: {}, get: text });
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [], prompts: [prompt, prompt] }), /Prompt "p": defined twice/);
  });

  it("serves a tool's MCP Apps view with the tool, listed among the resources or not, and only a view", async () => {
    const tool = defineTool({ name: "t", description: "d", input: {}, ui: card, run: text });
    assert.deepEqual(servedResources({ name: "s", version: "1", tools: [tool] }), [card]);
    assert.deepEqual(servedResources({ name: "s", version: "1", tools: [tool], resources: [card] }), [card]);
    const plain = defineResource({ uri: "ui://x/plain", name: "plain", read: text });
    const misdeclared = defineTool({ name: "m", description: "d", input: {}, ui: plain as never, run: text });
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [misdeclared] }), /Tool "m": its ui resource ui:\/\/x\/plain must be an MCP Apps view made with defineAppResource/);
    const clash = defineResource({ uri: "ui://x/card", name: "other", read: text });
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [tool], resources: [clash] }), /ui:\/\/x\/card is served by two definitions/);
  });

  it("refuses a tool's unusable app role at definition time", () => {
    assert.throws(() => defineTool({ name: "t", description: "d", input: {}, requires: { roles: ["Tools Admin"] }, run: text }), ToolDefinitionError);
  });

  it("asks Entra at sign-in for the downstream scopes of tools, resources and prompts alike", () => {
    const resource = defineResource({ uri: "a://1", name: "r", needs: { api: obo(["api://contoso-orders/Orders.Read"]) }, read: text });
    const prompt = definePrompt({ name: "p", description: "d", arguments: {}, needs: { graph: obo(["https://graph.microsoft.com/Mail.Read"]) }, get: text });
    assert.deepEqual(downstreamScopesOf(itemsOf({ name: "s", version: "1", tools: [], resources: [resource], prompts: [prompt] })).sort(), [
      "api://contoso-orders/Orders.Read",
      "https://graph.microsoft.com/Mail.Read",
    ]);
  });

  it("ships examples that pass the startup checks, graph_me's view among the resources", () => {
    assert.doesNotThrow(() => checkDefinition(serverDefinition));
    assert.equal(serverDefinition.tools.find((tool) => tool.name === "graph_me")?.ui?.uri, "ui://graph-me/profile-card");
  });
});
