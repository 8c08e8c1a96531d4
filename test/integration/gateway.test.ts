/**
 * The gateway against real downstream MCP servers over HTTP: the demo
 * server (SDK v2, both eras), a v1 SDK server with sessions, and a second
 * kit in direct mode. Each checks stand-in tokens for its own audience and
 * records what it accepted.
 */
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { DEMO_MCP_IDENTIFIER_URI, KIT_CLIENT_ID } from "../../dev/defaults.js";
import { startDemoMcpServer, tokenFingerprint, type DemoMcpServer } from "../../dev/demo-mcp/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { UNTRUSTED_LIMITS } from "../../lib/gateway/untrusted-text.js";
import { serverInfo, tools } from "../../tools/index.js";
import { CLIENT_KINDS, connectClient } from "../support/clients.js";
import { DemoToolEvents, demoTestTools } from "../support/demo-tools.js";
import { DEMO_AUDIENCE, GATEWAY_APPLICATIONS, GATEWAY_TENANTS, INNER_KIT_APP, startInnerKit, startV1Downstream, V1_APP } from "../support/downstreams.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool, MODERN_META } from "../support/mcp-calls.js";

const ALICE_OID = "a11ce000-0000-4000-8000-000000000001";
const BOB_OID = "b0b00000-0000-4000-8000-000000000002";

/** Polls `condition` until it holds or `ms` pass. */
async function eventually(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the condition did not come true in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An SDK v2 client on `url` with a bearer token (2026-07-28 when the server speaks it). */
async function sdkClient(url: URL, token: string): Promise<Client> {
  const client = new Client({ name: "gateway-test", version: "1" }, { versionNegotiation: { mode: "auto" } });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

describe("gateway: downstream MCP servers behind the kit", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let demo: DemoMcpServer;
  let flaky: DemoMcpServer;
  let v1: Awaited<ReturnType<typeof startV1Downstream>>;
  let inner: Awaited<ReturnType<typeof startInnerKit>>;
  let kit: RunningKit;
  const events = new DemoToolEvents();
  const token = (user: string, uti = `${user}-${Math.random()}`): Promise<string> => standIn.mintAccessToken({ user, claims: { uti } });

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn({ applications: GATEWAY_APPLICATIONS, tenants: GATEWAY_TENANTS });
    demo = await startDemoMcpServer({ entra: standIn, extend: demoTestTools(events) });
    flaky = await startDemoMcpServer({ entra: standIn, extend: demoTestTools(events) });
    v1 = await startV1Downstream(standIn);
    inner = await startInnerKit(standIn);
    kit = await startProxyKit(standIn, {
      server: {
        ...serverInfo,
        tools,
        remoteServers: [
          remoteServer({ name: "demo", url: demo.url }),
          remoteServer({ name: "tickets", url: v1.url }),
          remoteServer({ name: "inner", url: inner.url }),
          remoteServer({ name: "flaky", url: flaky.url, timeoutMs: 1500, include: ["whoami", "wait", "count"] }),
        ],
      },
    });
  });
  after(async () => {
    await kit?.close();
    await inner?.close();
    await v1?.close();
    await flaky?.close();
    await demo?.close();
    await standIn?.close();
  });
  afterEach(() => {
    demo.clearFaults();
    flaky.clearFaults();
  });

  describe("tools/list", () => {
    it("offers every downstream's tools under its prefix, with schemas, titles and annotations as the downstream lists them", async () => {
      const caller = await token("alice");
      const viaKit = await sdkClient(kit.mcpUrl, caller);
      const direct = await sdkClient(demo.url, await standIn.mintAccessToken({ user: "alice", audience: DEMO_MCP_IDENTIFIER_URI, scopes: ["Demo.Read"] }));
      try {
        const listed = (await viaKit.listTools()).tools;
        const names = listed.map((tool) => tool.name);
        for (const name of ["echo", "whoami", "demo_whoami", "demo_structured", "tickets_whoami", "tickets_echo", "inner_whoami", "flaky_wait"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
        assert.deepEqual(names.filter((name) => name.startsWith("flaky_")).sort(), ["flaky_count", "flaky_wait", "flaky_whoami"], "include filters a server's tools");
        const own = new Map((await direct.listTools()).tools.map((tool) => [tool.name, tool]));
        for (const name of ["whoami", "structured", "count"]) {
          const proxied = listed.find((tool) => tool.name === `demo_${name}`)!;
          const original = own.get(name)!;
          assert.deepEqual(proxied.inputSchema, original.inputSchema, name);
          assert.deepEqual(proxied.outputSchema, original.outputSchema, name);
          assert.deepEqual(proxied.annotations, original.annotations, name);
          assert.equal(proxied.title, original.title, name);
          assert.equal(proxied.description, original.description, name);
        }
        const ticketsEcho = listed.find((tool) => tool.name === "tickets_echo")!;
        assert.deepEqual(Object.keys((ticketsEcho.inputSchema as { properties: object }).properties), ["message"]);
        // The list depends on the caller: no cache may share it (2026-07-28 cache hints).
        const raw = await fetch(kit.mcpUrl, {
          method: "POST",
          headers: { authorization: `Bearer ${caller}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: MODERN_META } }),
        });
        assert.equal(((await raw.json()) as { result: { cacheScope?: string } }).result.cacheScope, "private");
      } finally {
        await viaKit.close();
        await direct.close();
      }
    });

    it("shows no control, bidirectional or invisible character of a downstream's names and titles, bounds descriptions, and leaves out invalid names with one warning", async () => {
      for (let listing = 0; listing < 2; listing++) {
        const client = await sdkClient(kit.mcpUrl, await token(listing === 0 ? "alice" : "bob"));
        try {
          const listed = (await client.listTools()).tools;
          const spoof = listed.find((tool) => tool.name === "demo_spoof")!;
          assert.equal(spoof.title, "Safeelif eteled tool");
          assert.doesNotMatch(spoof.title!, /[\u0000-\u001f\u200b\u202a-\u202e]/);
          assert.ok(spoof.description!.length <= UNTRUSTED_LIMITS.description, String(spoof.description!.length));
          assert.ok(!listed.some((tool) => tool.name.includes("bad")), "a tool whose name is not a tool name is left out");
        } finally {
          await client.close();
        }
      }
      const warnings = kit.logs.matching("gateway.item_left_out").filter((line) => line.text.includes("bad name"));
      assert.equal(warnings.length, 1, kit.logs.text());
      assert.equal(warnings[0]!.level, "warn");
    });

    it("lists per user, from a cache per (server, user): alice and bob see their own tools, and a second listing asks no downstream", async () => {
      const [dave, erin] = [await token("dave"), await token("erin")];
      const daveOid = standIn.directory.user("dave")!.oid;
      const listOf = async (caller: string): Promise<string[]> => {
        const client = await sdkClient(kit.mcpUrl, caller);
        try {
          return (await client.listTools()).tools.map((tool) => tool.name);
        } finally {
          await client.close();
        }
      };
      const alice = await listOf(await token("alice"));
      const bob = await listOf(await token("bob"));
      assert.ok(alice.includes("demo_alice_notes") && !alice.includes("demo_bob_notes"), alice.join());
      assert.ok(bob.includes("demo_bob_notes") && !bob.includes("demo_alice_notes"), bob.join());
      const listingsBefore = demo.seenFor("tools/list").filter((seen) => seen.oid === daveOid).length;
      await listOf(dave);
      await listOf(await token("dave"));
      assert.equal(demo.seenFor("tools/list").filter((seen) => seen.oid === daveOid).length - listingsBefore, 1, "dave's second listing came from the cache");
      const erinList = await listOf(erin);
      assert.ok(erinList.includes("demo_bob_notes"), "erin is not alice: her own listing was fetched");
    });

    it("keeps listing the other servers when one is down, logs one warning, and answers a call to it with an error naming it", async () => {
      await flaky.stop();
      try {
        const caller = await token("frank");
        const warningsBefore = kit.logs.matching("gateway.listing_failed").length;
        const client = await sdkClient(kit.mcpUrl, caller);
        try {
          const names = (await client.listTools()).tools.map((tool) => tool.name);
          assert.ok(names.includes("demo_whoami") && names.includes("tickets_whoami"), names.join());
          assert.ok(!names.some((name) => name.startsWith("flaky_")), names.join());
        } finally {
          await client.close();
        }
        const warnings = kit.logs.matching("gateway.listing_failed").slice(warningsBefore);
        assert.equal(warnings.length, 1, kit.logs.text());
        assert.match(warnings[0]!.text, /"server":"flaky"/);
        const answer = await callTool(kit.mcpUrl, caller, "flaky_whoami");
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.isError, true);
        assert.match(answer.text, /remote server "flaky" could not be reached/);
      } finally {
        await flaky.start();
      }
    });

    it("stops waiting for a slow server's list at its deadline and lists the others", async () => {
      flaky.fail({ kind: "delay", ms: 4000 }, { method: "tools/list" });
      const client = await sdkClient(kit.mcpUrl, await token("grace"));
      try {
        const started = Date.now();
        const names = (await client.listTools()).tools.map((tool) => tool.name);
        assert.ok(Date.now() - started < 3500, `listed in ${Date.now() - started} ms`);
        assert.ok(names.includes("demo_whoami") && !names.some((name) => name.startsWith("flaky_")), names.join());
      } finally {
        await client.close();
      }
      assert.ok(kit.logs.matching("did not list what it offers in time").length >= 1, kit.logs.text());
    });
  });

  describe("tools/call", () => {
    it("calls each downstream as the user, with a token for that server's audience and scope only, never the caller's token", async () => {
      const caller = await token("alice");
      for (const [name, downstream, audience, scope] of [
        ["demo", demo, DEMO_AUDIENCE, "Demo.Read"],
        ["tickets", v1, V1_APP.clientId, "Tickets.Read"],
        ["inner", inner, INNER_KIT_APP.clientId, "mcp.access"],
      ] as const) {
        const answer = await callTool(kit.mcpUrl, caller, `${name}_whoami`);
        assert.equal(answer.isError, false, answer.text);
        assert.equal(answer.structured?.["oid"], ALICE_OID);
        assert.equal(answer.structured?.["aud"], audience);
        const seen = downstream.seen.filter((entry) => entry.method === "tools/call").at(-1)!;
        assert.equal(seen.aud, audience);
        assert.equal(seen.oid, ALICE_OID);
        assert.deepEqual(seen.scopes, [scope]);
        if (name !== "inner") assert.equal(seen.azp, KIT_CLIENT_ID, "obtained On-Behalf-Of by the kit");
      }
      const fingerprint = tokenFingerprint(caller);
      for (const seen of [...demo.seen, ...v1.seen, ...inner.seen]) assert.notEqual(seen.fingerprint, fingerprint, "no downstream ever saw the caller's token");
    });

    for (const kind of CLIENT_KINDS) {
      it(`serves the ${kind} client: proxied tools listed and called`, async () => {
        const client = await connectClient(kind, kit.mcpUrl, { headers: { authorization: `Bearer ${await token("bob")}` } });
        try {
          const names = await client.listToolNames();
          assert.ok(names.includes("demo_whoami") && names.includes("tickets_echo"), names.join());
          const who = await client.callTool("demo_whoami", {});
          assert.equal(who.structuredContent?.["oid"], BOB_OID, JSON.stringify(who));
          const echo = await client.callTool("tickets_echo", { message: kind });
          assert.equal(echo.content[0]?.text, `tickets: ${kind}`);
        } finally {
          await client.close();
        }
      });
    }

    it("passes structured content and isError results through intact", async () => {
      const caller = await token("alice");
      const structured = await callTool(kit.mcpUrl, caller, "demo_structured");
      assert.equal(structured.isError, false, structured.text);
      assert.deepEqual(structured.structured, { total: 2, items: [{ id: "a" }, { id: "b" }] });
      const failing = await callTool(kit.mcpUrl, caller, "demo_failing");
      assert.equal(failing.status, 200);
      assert.equal(failing.isError, true);
      assert.equal(failing.text, "the downstream says no");
    });

    it("streams the downstream's progress to the caller while the downstream works", async () => {
      const release = events.holdCount();
      const client = await connectClient("v2-auto", kit.mcpUrl, { headers: { authorization: `Bearer ${await token("alice")}` } });
      try {
        const progress: number[] = [];
        const call = client.callTool("demo_count", { to: 3 }, (value) => {
          progress.push(value);
          // The downstream waits after its first step until the caller has seen it: only a streamed notification gets here.
          if (value === 1) release();
        });
        const result = await call;
        assert.equal(result.content[0]?.text, "counted to 3");
        assert.deepEqual(progress, [1, 2, 3]);
      } finally {
        release();
        await client.close();
      }
    });

    it("passes the caller's cancellation on: the downstream's call is aborted", async () => {
      const controller = new AbortController();
      const before = events.waits.length;
      const call = callTool(kit.mcpUrl, await token("alice"), "demo_wait", { ms: 20_000 }, { signal: controller.signal }).catch((error: unknown) => error);
      await eventually(() => events.waits.length > before);
      controller.abort();
      await call;
      await eventually(() => events.waits[before]!.aborted);
      assert.equal(events.waits[before]!.finished, true);
    });

    it("ends a call at the server's deadline with an error naming it, and the downstream sees the abort", async () => {
      const before = events.waits.length;
      const answer = await callTool(kit.mcpUrl, await token("alice"), "flaky_wait", { ms: 20_000 });
      assert.equal(answer.status, 200);
      assert.equal(answer.isError, true);
      assert.match(answer.text, /flaky_wait did not finish within 2 seconds .*remote server "flaky"/);
      assert.ok(answer.elapsedMs < 5000, String(answer.elapsedMs));
      await eventually(() => events.waits[before]?.aborted === true);
    });

    const faults = [
      ["an answer that is not JSON-RPC", { kind: "garbage" }, /remote server "demo" sent an answer that is not valid MCP/],
      ["an HTTP 500", { kind: "server_error" }, /remote server "demo" answered HTTP 500/],
      ["a dropped connection", { kind: "drop" }, /remote server "demo" could not be reached/],
    ] as const;
    for (const [label, fault, expected] of faults) {
      it(`answers ${label} from a downstream with an error result naming the server, never a failed request`, async () => {
        demo.fail(fault, { method: "tools/call", times: 1 });
        const answer = await callTool(kit.mcpUrl, await token("alice"), "demo_whoami");
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.isError, true);
        assert.match(answer.text, expected);
      });
    }

    it("refuses a 100 MB result cleanly: the body is read only up to the limit, then the connection is dropped", async () => {
      demo.fail({ kind: "huge", bytes: 100 * 1024 * 1024 }, { method: "tools/call", times: 1 });
      const answer = await callTool(kit.mcpUrl, await token("alice"), "demo_whoami");
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      assert.equal(answer.isError, true);
      assert.match(answer.text, /remote server "demo" sent a response larger than 16 MiB/);
      await eventually(() => demo.hugeBytesWritten > 0);
      assert.ok(demo.hugeBytesWritten < 40 * 1024 * 1024, `the downstream wrote ${demo.hugeBytesWritten} bytes before the kit stopped reading`);
    });

    it("answers a downstream's 401 with one fresh On-Behalf-Of exchange and one retry", async () => {
      const caller = await token("alice");
      assert.equal((await callTool(kit.mcpUrl, caller, "demo_whoami")).isError, false);
      const first = demo.seenFor("tools/call").at(-1)!;
      demo.fail({ kind: "unauthorized" }, { method: "tools/call", times: 1 });
      const obo = standIn.activity.counts().obo;
      const answer = await callTool(kit.mcpUrl, caller, "demo_whoami");
      assert.equal(answer.isError, false, answer.text);
      assert.equal(standIn.activity.counts().obo - obo, 1, "exactly one fresh exchange");
      const retried = demo.seenFor("tools/call").at(-1)!;
      assert.notEqual(retried.fingerprint, first.fingerprint, "the retry carried the fresh token");
      assert.equal(retried.oid, ALICE_OID);
    });

    it("fails naming the server when the downstream refuses the fresh token too, after exactly one more exchange", async () => {
      const caller = await token("alice");
      assert.equal((await callTool(kit.mcpUrl, caller, "demo_whoami")).isError, false);
      demo.fail({ kind: "unauthorized" }, { method: "tools/call" });
      const obo = standIn.activity.counts().obo;
      const answer = await callTool(kit.mcpUrl, caller, "demo_whoami");
      assert.equal(answer.status, 200);
      assert.equal(answer.isError, true);
      assert.match(answer.text, /remote server "demo" refused the token .*HTTP 401.*api:\/\/contoso-demo-mcp/);
      assert.equal(standIn.activity.counts().obo - obo, 1);
    });

    it("tells the caller which scope a downstream's 403 insufficient_scope asks for when the kit does not declare it (no step-up could grant it)", async () => {
      const answer = await callTool(kit.mcpUrl, await token("alice"), "demo_write_note");
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.isError, true);
      assert.match(answer.text, /remote server "demo" needs the permissions? .*api:\/\/contoso-demo-mcp\/Demo\.Write/);
      assert.ok(kit.logs.lines.some((line) => line.text.includes("auth.step_up_unanswerable") && line.text.includes("Demo.Write")), "the operator is told which scope to declare");
    });

    it("never uses one user's listing or token for another under parallel calls, and exchanges once per (user, server)", async () => {
      const alice = await token("alice", "parallel-alice");
      const bob = await token("bob", "parallel-bob");
      const obo = standIn.activity.counts().obo;
      const calls = await Promise.all(
        Array.from({ length: 40 }, async (_, index) => {
          const [who, caller, oid] = index % 2 === 0 ? (["alice", alice, ALICE_OID] as const) : (["bob", bob, BOB_OID] as const);
          const answer = await callTool(kit.mcpUrl, caller, index % 4 < 2 ? "demo_whoami" : "tickets_whoami");
          return { who, oid, answer };
        }),
      );
      for (const { oid, answer } of calls) {
        assert.equal(answer.isError, false, answer.text);
        assert.equal(answer.structured?.["oid"], oid);
      }
      assert.equal(standIn.activity.counts().obo - obo, 4, "one exchange per user and server");
      const notes = await callTool(kit.mcpUrl, bob, "demo_alice_notes");
      assert.notEqual(notes.text, `notes of ${ALICE_OID}`);
      assert.match(notes.body, /not found/i, "alice's tool is not bob's, whatever alice's cached listing holds");
      assert.equal((await callTool(kit.mcpUrl, alice, "demo_alice_notes")).text, `notes of ${ALICE_OID}`);
    });

    it("keeps a 2025-era downstream's session between one user's calls, opens no standalone stream, and opens a new session when the downstream forgot it", async () => {
      const before = { seen: v1.seen.length, methods: v1.httpMethods.length };
      const heidi = await token("heidi");
      const heidiOid = standIn.directory.user("heidi")!.oid;
      for (let call = 0; call < 3; call++) assert.equal((await callTool(kit.mcpUrl, heidi, "tickets_echo", { message: "x" })).isError, false);
      const heidiSeen = () => v1.seen.slice(before.seen).filter((seen) => seen.oid === heidiOid);
      // The listing's conversation probed the era and opened the session; the three calls used it.
      assert.deepEqual(
        heidiSeen().map((seen) => seen.method),
        ["server/discover", "initialize", "notifications/initialized", "tools/list", "tools/call", "tools/call", "tools/call"],
      );
      assert.ok(!v1.httpMethods.slice(before.methods).includes("GET"), "no standalone SSE stream was opened");

      v1.forgetSessions();
      const afterForgetting = heidiSeen().length;
      const result = await callTool(kit.mcpUrl, heidi, "tickets_echo", { message: "again" });
      assert.equal(result.isError, false, JSON.stringify(result));
      assert.deepEqual(
        heidiSeen()
          .slice(afterForgetting)
          .map((seen) => seen.method),
        ["tools/call", "initialize", "notifications/initialized", "tools/call"],
        "refused on the forgotten session, then made once more on a new one",
      );
    });
  });

  describe("resources and prompts", () => {
    it("lists, reads and gets what a downstream offers, in its namespace", async () => {
      const client = await sdkClient(kit.mcpUrl, await token("alice"));
      try {
        const resources = (await client.listResources()).resources;
        const today = resources.find((resource) => resource.uri === "demo+note://today");
        assert.ok(today !== undefined, JSON.stringify(resources));
        assert.equal(today.title, "Today's note");
        assert.ok(resources.some((resource) => resource.uri === "flaky+note://today"), "two servers' resources do not clash");
        const templates = (await client.listResourceTemplates()).resourceTemplates;
        assert.ok(templates.some((template) => template.uriTemplate === "demo+note://{id}"), JSON.stringify(templates));

        const read = await client.readResource({ uri: "demo+note://today" });
        assert.equal(read.contents[0]?.uri, "demo+note://today");
        assert.equal((read.contents[0] as { text?: string }).text, `today, for ${ALICE_OID}`);
        const byTemplate = await client.readResource({ uri: "demo+note://42" });
        assert.equal((byTemplate.contents[0] as { text?: string }).text, "note 42");

        const prompts = (await client.listPrompts()).prompts;
        const summarize = prompts.find((prompt) => prompt.name === "demo_summarize");
        assert.ok(summarize !== undefined, JSON.stringify(prompts));
        assert.deepEqual(summarize.arguments, [{ name: "topic", description: "What to summarize", required: true }]);
        const got = await client.getPrompt({ name: "demo_summarize", arguments: { topic: "the week" } });
        assert.deepEqual(got.messages[0]?.content, { type: "text", text: `Summarize the week for ${ALICE_OID}` });

        const link = await client.callTool({ name: "demo_link", arguments: {} });
        assert.equal((link.content[0] as { uri?: string }).uri, "demo+note://today", "resource links in results point into the namespace");
      } finally {
        await client.close();
      }
    });

    it("answers a read from a server that went down with an error naming it", async () => {
      const client = await sdkClient(kit.mcpUrl, await token("alice"));
      await flaky.stop();
      try {
        await assert.rejects(client.readResource({ uri: "flaky+note://today" }), /remote server "flaky" could not be reached/);
        await assert.rejects(client.getPrompt({ name: "flaky_summarize", arguments: { topic: "x" } }), /remote server "flaky" could not be reached/);
      } finally {
        await flaky.start();
        await client.close();
      }
    });
  });
});
