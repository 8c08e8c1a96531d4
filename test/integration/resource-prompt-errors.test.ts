/**
 * How resources, resource templates, prompts and completions fail: over real
 * HTTP to the local host, with the 2026-07-28 wire (raw, to see codes) and a
 * 2025 client. Each failure is a JSON-RPC error a client can show; none
 * carries a stack trace or an internal message.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { definePrompt, defineResource, defineResourceTemplate, PromptError, ResourceError } from "../../lib/mcp/index.js";
import { connectClient } from "../support/clients.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { legacyMcpRequest, mcpRequest, showsStackTrace } from "../support/mcp-calls.js";

let templateReads = 0;

const failing = defineResource({
  uri: "test://fails-for-the-user",
  name: "fails-for-the-user",
  async read() {
    throw new ResourceError("The archive is closed for maintenance until 18:00.");
  },
});
const crashing = defineResource({
  uri: "test://crashes",
  name: "crashes",
  async read() {
    throw new Error("connection string Server=db;Password=hunter2 was refused");
  },
});
const slow = defineResource({
  uri: "test://never-finishes",
  name: "never-finishes",
  timeoutMs: 150,
  // Ignores its signal on purpose: the deadline must end the read anyway.
  read: () => new Promise<string>(() => undefined),
});
const huge = defineResource({
  uri: "test://huge",
  name: "huge",
  maxBytes: 2048,
  async read() {
    return "x".repeat(10_000);
  },
});
const items = defineResourceTemplate({
  uriTemplate: "items://{itemId}",
  name: "item",
  variables: { itemId: z.string().regex(/^[0-9]{1,6}$/, "an item number is 1 to 6 digits") },
  complete: {
    async itemId() {
      return Array.from({ length: 150 }, (_, index) => String(index));
    },
  },
  async read({ itemId }) {
    templateReads += 1;
    return { itemId };
  },
});
const unreachableListing = defineResourceTemplate({
  uriTemplate: "archive://{year}",
  name: "archive",
  async list() {
    throw new ResourceError("The archive API is down.");
  },
  async read({ year }) {
    return `Archive of ${year}`;
  },
});
const grumpyPrompt = definePrompt({
  name: "grumpy",
  description: "Always refuses",
  arguments: { topic: z.string() },
  async get() {
    throw new PromptError("Prompts about this topic are switched off on this server.");
  },
});
const crashingPrompt = definePrompt({
  name: "crashing_prompt",
  description: "Fails unexpectedly",
  arguments: {},
  async get() {
    throw new TypeError("Cannot read properties of undefined (reading 'secretKey')");
  },
});
const completesSlowly = definePrompt({
  name: "slow_completion",
  description: "Its completion never answers",
  arguments: { choice: z.string() },
  timeoutMs: 200,
  complete: { choice: () => new Promise<string[]>(() => undefined) },
  async get({ choice }) {
    return choice;
  },
});

describe("resources, templates, prompts and completions when something goes wrong", function () {
  this.timeout(30_000);
  let kit: RunningKit;

  before(async () => {
    kit = await startKit({
      server: {
        name: "errors",
        version: "1",
        tools: [],
        resources: [failing, crashing, slow, huge, items, unreachableListing],
        prompts: [grumpyPrompt, crashingPrompt, completesSlowly],
      },
    });
  });
  after(async () => kit?.close());

  const read = (uri: string) => mcpRequest(kit.mcpUrl, undefined, "resources/read", { uri });

  it("shows a ResourceError's message as the error, and logs it", async () => {
    const answer = await read("test://fails-for-the-user");
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.error?.code, -32603);
    assert.equal(answer.error?.message, "The archive is closed for maintenance until 18:00.");
    assert.ok(kit.logs.matching("The archive is closed").length > 0);
  });

  it("answers an unexpected failure with a reference id, never the internal message, and logs the error under that reference", async () => {
    const answer = await read("test://crashes");
    const reference = /reference ([0-9a-f]{8})/.exec(answer.error?.message ?? "")?.[1];
    assert.ok(reference !== undefined, answer.body);
    assert.match(answer.error!.message, /^Resource crashes failed unexpectedly/);
    assert.doesNotMatch(answer.body, /hunter2|Password|connection string/);
    assert.equal(showsStackTrace(answer.body), false, answer.body);
    const logged = kit.logs.matching(reference);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.level, "error");
    assert.match(logged[0]!.text, /mcp\.failed/);
  });

  it("ends a read at its deadline even when the handler ignores its signal", async () => {
    const started = Date.now();
    const answer = await read("test://never-finishes");
    assert.match(answer.error?.message ?? "", /Resource never-finishes did not finish within 150 ms and was stopped/);
    assert.ok(Date.now() - started < 10_000);
  });

  it("refuses a result larger than the resource's maxBytes, naming both sizes, and sends none of it", async () => {
    const answer = await read("test://huge");
    assert.match(answer.error?.message ?? "", /Resource huge produced \d+ bytes, more than its limit of 2048 bytes \(maxBytes\)/);
    assert.doesNotMatch(answer.body, /xxxxxxxx/);
    assert.ok(kit.logs.matching("mcp.result_too_large").length > 0);
  });

  it("refuses a URI whose template variables fail their schema, naming the variable, before read runs", async () => {
    const before = templateReads;
    const answer = await read("items://12ab");
    assert.equal(answer.error?.code, -32602);
    assert.match(answer.error?.message ?? "", /Invalid itemId for items:\/\/\{itemId\}: an item number is 1 to 6 digits/);
    assert.equal(templateReads, before, "read never ran");
    const good = await read("items://42");
    assert.deepEqual(JSON.parse((good.result?.["contents"] as Array<{ text: string }>)[0]!.text), { itemId: "42" });
  });

  it("answers an unknown URI with MCP's resource-not-found error (-32602 with the URI), on both eras", async () => {
    const modern = await read("nothing://here");
    assert.equal(modern.error?.code, -32602);
    assert.deepEqual(modern.error?.data, { uri: "nothing://here" });
    const legacy = await legacyMcpRequest(kit.mcpUrl, undefined, "resources/read", { uri: "nothing://here" });
    assert.equal(legacy.error?.code, -32602, legacy.body);
  });

  it("lists the other resources when a template's own listing fails, and logs the failure", async () => {
    const answer = await mcpRequest(kit.mcpUrl, undefined, "resources/list");
    assert.equal(answer.status, 200, answer.body);
    const uris = (answer.result?.["resources"] as Array<{ uri: string }>).map((resource) => resource.uri);
    assert.ok(uris.includes("test://huge") && !uris.some((uri) => uri.startsWith("archive://")), uris.join(", "));
    assert.ok(kit.logs.matching("mcp.list_incomplete").some((line) => line.text.includes("The archive API is down.")));
  });

  it("shows a PromptError's message, and hides an unexpected prompt failure behind a reference", async () => {
    const grumpy = await mcpRequest(kit.mcpUrl, undefined, "prompts/get", { name: "grumpy", arguments: { topic: "x" } });
    assert.equal(grumpy.error?.message, "Prompts about this topic are switched off on this server.");
    const crash = await mcpRequest(kit.mcpUrl, undefined, "prompts/get", { name: "crashing_prompt", arguments: {} });
    assert.match(crash.error?.message ?? "", /^Prompt crashing_prompt failed unexpectedly \(reference [0-9a-f]{8}\)/);
    assert.doesNotMatch(crash.body, /secretKey/);
  });

  it("refuses prompt arguments that do not match, naming the argument, through a 2025 client too", async () => {
    const answer = await mcpRequest(kit.mcpUrl, undefined, "prompts/get", { name: "grumpy", arguments: {} });
    assert.equal(answer.error?.code, -32602);
    assert.match(answer.error?.message ?? "", /topic/);
    const client = await connectClient("v1", kit.mcpUrl);
    try {
      await assert.rejects(client.getPrompt("grumpy", {}), /topic/);
    } finally {
      await client.close();
    }
  });

  it("caps completions at 100 values and says how many there are", async () => {
    const answer = await mcpRequest(kit.mcpUrl, undefined, "completion/complete", { ref: { type: "ref/resource", uri: "items://{itemId}" }, argument: { name: "itemId", value: "" } });
    const completion = answer.result?.["completion"] as { values: string[]; total: number; hasMore: boolean };
    assert.equal(completion.values.length, 100);
    assert.equal(completion.total, 150);
    assert.equal(completion.hasMore, true);
  });

  it("ends a completion at its deadline (the item's timeoutMs, at most 10 s)", async () => {
    const answer = await mcpRequest(kit.mcpUrl, undefined, "completion/complete", { ref: { type: "ref/prompt", name: "slow_completion" }, argument: { name: "choice", value: "a" } });
    assert.match(answer.error?.message ?? "", /Prompt slow_completion did not finish within 200 ms and was stopped/);
  });

  it("refuses a completion for a prompt or template that does not exist", async () => {
    const prompt = await mcpRequest(kit.mcpUrl, undefined, "completion/complete", { ref: { type: "ref/prompt", name: "nope" }, argument: { name: "a", value: "" } });
    assert.equal(prompt.error?.code, -32602);
    assert.match(prompt.error?.message ?? "", /Prompt nope not found/);
    const template = await mcpRequest(kit.mcpUrl, undefined, "completion/complete", { ref: { type: "ref/resource", uri: "nope://{x}" }, argument: { name: "x", value: "" } });
    assert.match(template.error?.message ?? "", /Resource template nope:\/\/\{x\} not found/);
  });
});
