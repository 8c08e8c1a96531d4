/**
 * Resources, resource templates, prompts and completions behind the kit's
 * sign-in: the three MCP client eras sign in through the facade against the
 * Entra stand-in and use the shipped examples (`orders://{orderId}` and the
 * `introduce_me` prompt On-Behalf-Of the user, graph_me's profile card), plus
 * items gated on an app role (alice has Tools.Admin, bob does not) and on a
 * scope nobody signed in with.
 */
import assert from "node:assert/strict";
import { KIT_IDENTIFIER_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import type { FakeGraph } from "../../dev/graph/index.js";
import { definePrompt, defineResource, defineResourceTemplate, defineTool, type McpServerDefinition } from "../../lib/mcp/index.js";
import orderResource from "../../tools/order-resource.js";
import { prompts, resources, serverInfo, tools } from "../../tools/index.js";
import { CLIENT_KINDS, type ConnectedClient } from "../support/clients.js";
import { startOboPeers, type OboPeers } from "../support/downstream.js";
import { connectSignedIn, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { legacyMcpRequest, mcpRequest } from "../support/mcp-calls.js";

const ALICE_OID = "a11ce000-0000-4000-8000-000000000001";

const adminNotes = defineResource({
  uri: "notes://admin",
  name: "admin-notes",
  description: "Notes for administrators",
  requires: { roles: ["Tools.Admin"] },
  async read() {
    return "Rotate the sealing key on Friday.";
  },
});
const writerNotes = defineResource({
  uri: "notes://writers",
  name: "writer-notes",
  description: "Notes for those who may write orders",
  requires: { scopes: ["orders.write"] },
  async read() {
    return "Orders above 1,000 need a second approver.";
  },
});
const auditDays = defineResourceTemplate({
  uriTemplate: "audit://{day}",
  name: "audit-day",
  requires: { roles: ["Tools.Admin"] },
  async read({ day }) {
    return `No findings on ${day}.`;
  },
});
const adminBriefing = definePrompt({
  name: "admin_briefing",
  description: "Briefs an administrator",
  arguments: {},
  requires: { roles: ["Tools.Admin"] },
  async get() {
    return "Summarise this week's sign-in failures.";
  },
});
const writerPrompt = definePrompt({
  name: "draft_order",
  description: "Drafts an order",
  arguments: {},
  requires: { scopes: ["orders.write"] },
  async get() {
    return "Draft an order.";
  },
});
const adminTool = defineTool({
  name: "admin_only",
  description: "Needs the Tools.Admin app role",
  input: {},
  requires: { roles: ["Tools.Admin"] },
  async run() {
    return "admin ok";
  },
});

/** The shipped examples with the orders template (npm start serves it too), plus the gated items. */
const definition: McpServerDefinition = {
  ...serverInfo,
  tools: [...tools, adminTool],
  resources: [...resources, orderResource, adminNotes, writerNotes, auditDays],
  prompts: [...prompts, adminBriefing, writerPrompt],
};

const names = (items: ReadonlyArray<{ name: string }>): string[] => items.map((item) => item.name).sort();

describe("resources, templates, prompts and completions behind the sign-in", function () {
  this.timeout(120_000);
  let peers: OboPeers;
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let kit: RunningKit;

  before(async () => {
    peers = await startOboPeers();
    ({ standIn, graph } = peers);
    kit = await startProxyKit(standIn, { env: { ENTRA_API_SCOPES: "mcp.access orders.write" }, server: definition });
  });
  after(async () => {
    await kit?.close();
    await peers?.close();
  });
  beforeEach(() => graph.reset());

  for (const kind of CLIENT_KINDS) {
    describe(`${kind} client`, () => {
      let alice: ConnectedClient;
      let bob: ConnectedClient;
      before(async () => {
        alice = await connectSignedIn(kind, kit, "alice", `resources e2e ${kind} alice`);
        bob = await connectSignedIn(kind, kit, "bob", `resources e2e ${kind} bob`);
      });
      after(async () => {
        await alice?.close();
        await bob?.close();
      });

      it("lists the resources (a template's own list read On-Behalf-Of), the templates and the prompts", async () => {
        const listed = await alice.listResources();
        assert.deepEqual(listed.map((resource) => resource.uri).sort(), ["notes://admin", "notes://writers", "orders://1001", "orders://1002", "ui://graph-me/profile-card"]);
        assert.equal(listed.find((resource) => resource.uri === "orders://1002")?.mimeType, "application/json");
        assert.deepEqual(names(await alice.listResourceTemplates()), ["audit-day", "order"]);
        const listedPrompts = await alice.listPrompts();
        assert.deepEqual(names(listedPrompts), ["admin_briefing", "draft_order", "introduce_me"]);
        assert.deepEqual(listedPrompts.find((prompt) => prompt.name === "introduce_me")?.arguments, [
          { name: "audience", description: "Who the introduction is for, e.g. 'the new project team'", required: true },
          { name: "tone", description: "friendly (default), formal or brief", required: false },
        ]);
        assert.ok(graph.accepted.some((call) => call.route === "orders" && call.claims["oid"] === ALICE_OID), "the template's list called the orders API as alice");
      });

      it("reads one of the user's orders through On-Behalf-Of, the API seeing only an OBO token for itself", async () => {
        const [content] = await alice.readResource("orders://1002");
        assert.equal(content?.uri, "orders://1002");
        assert.equal(content?.mimeType, "application/json");
        assert.deepEqual(JSON.parse(content?.text ?? "null"), { id: "1002", item: "Milk frother", status: "processing" });
        const calls = graph.accepted.filter((call) => call.route === "orders");
        assert.equal(calls.length, 1);
        assert.equal(calls[0]!.claims["scp"], "Orders.Read");
        assert.equal(calls[0]!.claims["oid"], ALICE_OID);
        assert.notEqual(calls[0]!.claims["aud"], KIT_IDENTIFIER_URI);
      });

      it("answers an order the user does not have as resource not found", async () => {
        await assert.rejects(alice.readResource("orders://4242"), /You have no order 4242/);
      });

      it("completes a template variable from the user's own orders, On-Behalf-Of", async () => {
        const completion = await alice.complete({ type: "ref/resource", uri: "orders://{orderId}" }, { name: "orderId", value: "100" });
        assert.deepEqual(completion.values, ["1001", "1002"]);
        assert.equal(completion.total, 2);
        assert.ok(graph.accepted.some((call) => call.route === "orders"));
      });

      it("completes a prompt argument and gets the prompt built from the user's Graph profile", async () => {
        assert.deepEqual((await alice.complete({ type: "ref/prompt", name: "introduce_me" }, { name: "tone", value: "f" })).values, ["friendly", "formal"]);
        const prompt = await alice.getPrompt("introduce_me", { audience: "the new project team", tone: "formal" });
        assert.equal(prompt.description, "An introduction of Alice Example for the new project team");
        const text = prompt.messages[0]?.content.text ?? "";
        assert.match(text, /^Write a formal introduction of me for the new project team/);
        assert.match(text, /Name: Alice Example/);
        assert.match(text, /Job title: Platform Engineer/);
        assert.ok(graph.accepted.some((call) => call.route === "me" && call.claims["oid"] === ALICE_OID));
      });

      it("shows alice what needs her app role, and leaves it out of every list for bob", async () => {
        assert.ok((await alice.listToolNames()).includes("admin_only"));
        assert.equal(await alice.readResource("notes://admin").then((contents) => contents[0]?.text), "Rotate the sealing key on Friday.");
        assert.equal((await alice.getPrompt("admin_briefing", {})).messages[0]?.content.text, "Summarise this week's sign-in failures.");

        assert.ok(!(await bob.listToolNames()).includes("admin_only"));
        assert.deepEqual((await bob.listResources()).map((resource) => resource.uri).sort(), ["notes://writers", "orders://1001", "orders://1002", "ui://graph-me/profile-card"]);
        assert.deepEqual(names(await bob.listResourceTemplates()), ["order"]);
        assert.deepEqual(names(await bob.listPrompts()), ["draft_order", "introduce_me"]);
      });

      it("refuses bob's read and prompt naming the app role he lacks", async () => {
        await assert.rejects(bob.readResource("notes://admin"), /This resource needs the app role Tools\.Admin, which your account does not have/);
        await assert.rejects(bob.readResource("audit://2026-01-05"), /This resource template needs the app role Tools\.Admin/);
        await assert.rejects(bob.getPrompt("admin_briefing", {}), /This prompt needs the app role Tools\.Admin/);
      });
    });
  }

  describe("a scope the caller did not sign in with", () => {
    // In proxy mode the kit names scopes in the short form clients ask the facade for.
    const expectedScope = 'scope="mcp.access orders.write"';

    it("answers the read with a 403 step-up challenge naming every scope it needs, on both eras", async () => {
      const token = await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access"] });
      for (const answer of [await mcpRequest(kit.mcpUrl, token, "resources/read", { uri: "notes://writers" }), await legacyMcpRequest(kit.mcpUrl, token, "resources/read", { uri: "notes://writers" })]) {
        assert.equal(answer.status, 403, answer.body);
        const challenge = answer.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer error="insufficient_scope"/);
        assert.ok(challenge.includes(expectedScope), challenge);
        assert.ok(challenge.includes(`resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl).href}"`), challenge);
        assert.match(challenge, /This resource needs the scope orders\.write/);
      }
    });

    it("answers prompts/get the same way, and serves both once the token has the scope", async () => {
      const without = await mcpRequest(kit.mcpUrl, await standIn.mintAccessToken({ user: "bob", scopes: ["mcp.access"] }), "prompts/get", { name: "draft_order", arguments: {} });
      assert.equal(without.status, 403);
      assert.ok((without.headers.get("www-authenticate") ?? "").includes(expectedScope));
      const granted = await standIn.mintAccessToken({ user: "bob", scopes: ["mcp.access", "orders.write"] });
      const read = await mcpRequest(kit.mcpUrl, granted, "resources/read", { uri: "notes://writers" });
      assert.equal((read.result?.["contents"] as Array<{ text: string }>)[0]?.text, "Orders above 1,000 need a second approver.");
      const prompt = await mcpRequest(kit.mcpUrl, granted, "prompts/get", { name: "draft_order", arguments: {} });
      assert.equal(prompt.status, 200, prompt.body);
    });
  });

  describe("Entra refusing the On-Behalf-Of exchange during a read, a listing or a completion", () => {
    afterEach(() => standIn.clearFaults());

    it("answers 401 invalid_token when Entra calls the sign-in expired or revoked, so the client refreshes", async () => {
      standIn.fail("invalid_grant", { grantType: "obo" });
      const calls: Array<[string, Record<string, unknown>]> = [
        ["resources/read", { uri: "orders://1001" }],
        ["resources/list", {}],
        ["completion/complete", { ref: { type: "ref/resource", uri: "orders://{orderId}" }, argument: { name: "orderId", value: "" } }],
        ["prompts/get", { name: "introduce_me", arguments: { audience: "x" } }],
      ];
      for (const [index, [method, params]] of calls.entries()) {
        const token = await standIn.mintAccessToken({ user: "alice", claims: { uti: `revoked-${index}` } });
        const answer = await mcpRequest(kit.mcpUrl, token, method, params);
        assert.equal(answer.status, 401, `${method}: ${answer.body}`);
        assert.match(answer.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
      }
    });

    it("answers missing consent with the step-up challenge naming the read's downstream scope, never AADSTS text", async () => {
      standIn.fail("consent_required", { grantType: "obo" });
      const answer = await mcpRequest(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "no-consent" } }), "resources/read", { uri: "orders://1001" });
      assert.equal(answer.status, 403, answer.body);
      const challenge = answer.headers.get("www-authenticate") ?? "";
      assert.match(challenge, /^Bearer error="insufficient_scope"/);
      assert.deepEqual(/scope="([^"]*)"/.exec(challenge)?.[1]?.split(" "), ["mcp.access", "Orders.Read"]);
      assert.match(answer.body, /not consented[\s\S]*adminconsent\?client_id=/);
      assert.doesNotMatch(answer.body + challenge, /AADSTS|Trace ID|Correlation ID/);
    });
  });

  describe("cache hints (2026-07-28 cacheScope)", () => {
    it("marks private exactly the lists and reads that depend on the caller", async () => {
      const token = await standIn.mintAccessToken({ user: "bob" });
      const scopeOf = async (method: string, params: Record<string, unknown> = {}): Promise<unknown> => {
        const answer = await mcpRequest(kit.mcpUrl, token, method, params);
        assert.equal(answer.result?.["ttlMs"], 0, answer.body);
        return answer.result?.["cacheScope"];
      };
      // Each of these lists holds an item gated on an app role, so bob's list is not alice's.
      assert.equal(await scopeOf("tools/list"), "private");
      assert.equal(await scopeOf("resources/list"), "private");
      assert.equal(await scopeOf("resources/templates/list"), "private");
      assert.equal(await scopeOf("prompts/list"), "private");
      // A read of the user's own data is private; a view that cannot depend on the caller is public.
      assert.equal(await scopeOf("resources/read", { uri: "orders://1001" }), "private");
      assert.equal(await scopeOf("resources/read", { uri: "ui://graph-me/profile-card" }), "public");
    });

    it("marks public the lists that are the same for every caller, and sends no cache fields to 2025 clients", async () => {
      const plain = await startProxyKit(standIn, { server: { ...serverInfo, tools, resources, prompts } });
      try {
        const token = await standIn.mintAccessToken({ user: "alice" });
        for (const method of ["tools/list", "resources/list", "resources/templates/list", "prompts/list"]) {
          const modern = await mcpRequest(plain.mcpUrl, token, method);
          assert.equal(modern.result?.["cacheScope"], "public", `${method}: ${modern.body}`);
          const legacy = await legacyMcpRequest(plain.mcpUrl, token, method);
          assert.ok(legacy.result !== undefined, legacy.body);
          assert.equal("cacheScope" in legacy.result!, false, `${method} (2025-11-25): ${legacy.body}`);
          assert.equal("ttlMs" in legacy.result!, false);
        }
        // A template listing the caller's own orders makes resources/list private on its own.
        const withOrders = await startProxyKit(standIn, { server: { ...serverInfo, tools, resources: [...resources, orderResource], prompts } });
        try {
          assert.equal((await mcpRequest(withOrders.mcpUrl, token, "resources/list")).result?.["cacheScope"], "private");
          assert.equal((await mcpRequest(withOrders.mcpUrl, token, "resources/templates/list")).result?.["cacheScope"], "public");
        } finally {
          await withOrders.close();
        }
      } finally {
        await plain.close();
      }
    });
  });
});
