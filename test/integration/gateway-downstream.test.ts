/**
 * One conversation with a downstream (lib/gateway/downstream.ts) against the
 * real demo server: the errors it raises are the contracts the rest of the
 * kit builds on, and the token source is asked exactly as often as it must.
 */
import assert from "node:assert/strict";
import { DEMO_MCP_SCOPE_URI, DEV_TENANT_ID } from "../../dev/defaults.js";
import { startDemoMcpServer, type DemoMcpServer } from "../../dev/demo-mcp/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import type { ValidatedToken } from "../../lib/entra/access-token.js";
import { converse, keptConnections, type KeptConnections } from "../../lib/gateway/downstream.js";
import { DownstreamFailure } from "../../lib/gateway/errors.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { StepUpRequiredError, type OnBehalfOf } from "../../lib/mcp/needs.js";
import { DemoToolEvents, demoTestTools } from "../support/demo-tools.js";
import { GATEWAY_APPLICATIONS, startV1Downstream } from "../support/downstreams.js";
import { oboAsKit, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";

describe("gateway: one conversation with a downstream", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let demo: DemoMcpServer;
  let caller: ValidatedToken;
  const calls = { exchanges: 0, invalidations: 0, assertions: [] as ValidatedToken[] };
  const onBehalfOf: OnBehalfOf = {
    async exchange(token, scopes) {
      calls.exchanges++;
      calls.assertions.push(token);
      const answer = await oboAsKit(standIn, token.token, scopes.join(" "));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return { accessToken: String(answer.body["access_token"]), expiresOn: new Date(Date.now() + 3_600_000) };
    },
    async invalidate() {
      calls.invalidations++;
    },
  };
  const server = () => remoteServer({ name: "demo", url: demo.url, scopes: [DEMO_MCP_SCOPE_URI] });

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn({ applications: GATEWAY_APPLICATIONS });
    demo = await startDemoMcpServer({ entra: standIn, extend: demoTestTools(new DemoToolEvents()) });
    const token = await standIn.mintAccessToken({ user: "alice" });
    caller = await validated("alice", "a11ce000-0000-4000-8000-000000000001");
  });

  /** A caller as the gate would have validated it (the fields the gateway reads). */
  async function validated(user: string, objectId: string): Promise<ValidatedToken> {
    const token = await standIn.mintAccessToken({ user });
    return { token, claims: {}, tenantId: DEV_TENANT_ID, objectId, scopes: ["mcp.access"], roles: [], clientId: undefined, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
  }
  after(async () => {
    await demo?.close();
    await standIn?.close();
  });
  beforeEach(() => {
    calls.exchanges = 0;
    calls.invalidations = 0;
    calls.assertions.length = 0;
    demo.clearFaults();
  });

  it("raises StepUpRequiredError (insufficient_scope, every scope the call needs in full form) for a downstream's 403 challenge", async () => {
    const error = await converse(server(), { token: caller, onBehalfOf }, undefined, new AbortController().signal, (conversation) =>
      conversation.client.callTool({ name: "write_note", arguments: {} }, { signal: conversation.signal }),
    ).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof StepUpRequiredError, String(error));
    assert.equal(error.stepUp.reason, "insufficient_scope");
    assert.deepEqual(error.stepUp.scopes, ["api://contoso-demo-mcp/Demo.Read", "api://contoso-demo-mcp/Demo.Write"]);
    assert.match(error.message, /remote server "demo" needs the permissions api:\/\/contoso-demo-mcp\/Demo\.Read, api:\/\/contoso-demo-mcp\/Demo\.Write/);
  });

  it("asks for a fresh token once after a 401 and retries once; a second 401 is a failure naming the server", async () => {
    demo.fail({ kind: "unauthorized" }, { method: "tools/call", times: 1 });
    const result = await converse(server(), { token: caller, onBehalfOf }, undefined, new AbortController().signal, (conversation) => conversation.client.callTool({ name: "whoami", arguments: {} }));
    assert.equal((result.structuredContent as { oid?: string }).oid, caller.objectId);
    assert.equal(calls.invalidations, 1);

    demo.fail({ kind: "unauthorized" }, { method: "tools/call" });
    calls.invalidations = 0;
    const error = await converse(server(), { token: caller, onBehalfOf }, undefined, new AbortController().signal, (conversation) => conversation.client.callTool({ name: "whoami", arguments: {} })).catch(
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof DownstreamFailure, String(error));
    assert.equal(error.kind, "refused_token");
    assert.equal(calls.invalidations, 1, "one fresh exchange, however often the server refuses");
  });

  it("learns the era once: a 2026-07-28 server is reached with one request per call after the first conversation", async () => {
    let verdict: Parameters<typeof converse>[2];
    await converse(server(), { token: caller, onBehalfOf }, undefined, new AbortController().signal, async (conversation) => {
      verdict = conversation.verdict();
    });
    assert.equal(verdict?.kind, "modern");
    const before = demo.seen.length;
    await converse(server(), { token: caller, onBehalfOf }, verdict, new AbortController().signal, (conversation) => conversation.client.callTool({ name: "whoami", arguments: {} }));
    assert.deepEqual(
      demo.seen.slice(before).map((seen) => seen.method),
      ["tools/call"],
      "no discovery probe: the cached verdict was used",
    );
  });

  describe("clients kept between calls", () => {
    let kept: KeptConnections;
    beforeEach(() => {
      kept = keptConnections();
    });
    afterEach(() => kept.clear());

    /** One whoami as `who`, with the client it went through. */
    const whoami = (who: ValidatedToken, signal = new AbortController().signal) =>
      converse(
        server(),
        { token: who, onBehalfOf },
        undefined,
        signal,
        async (conversation) => ({ client: conversation.client, result: await conversation.client.callTool({ name: "whoami", arguments: {} }, { signal: conversation.signal }) }),
        kept,
      );

    it("serves the same user's next call with the client of a 2026-07-28 server, in one request, as that call's caller", async () => {
      const first = await whoami(caller);
      assert.equal(kept.size, 1);
      const before = demo.seen.length;
      const sameUserOtherToken = await validated("alice", caller.objectId);
      const second = await whoami(sameUserOtherToken);
      assert.equal(second.client, first.client, "the kept client");
      assert.deepEqual(
        demo.seen.slice(before).map((seen) => [seen.method, seen.oid]),
        [["tools/call", caller.objectId]],
      );
      assert.equal(calls.assertions.at(-1), sameUserOtherToken, "the token was exchanged for the second call's own caller");
    });

    it("never serves another user with a kept client", async () => {
      const alice = await whoami(caller);
      const bobCaller = await validated("bob", "b0b00000-0000-4000-8000-000000000002");
      const bob = await whoami(bobCaller);
      assert.notEqual(bob.client, alice.client);
      assert.equal((bob.result.structuredContent as { oid?: string }).oid, bobCaller.objectId);
      assert.equal(kept.size, 2);
      const aliceAgain = await whoami(caller);
      assert.equal(aliceAgain.client, alice.client);
      assert.equal((aliceAgain.result.structuredContent as { oid?: string }).oid, caller.objectId);
    });

    it("gives one user's calls at once a client each, and keeps them all", async () => {
      const [one, two] = await Promise.all([whoami(caller), whoami(caller)]);
      assert.notEqual(one.client, two.client);
      assert.equal(kept.size, 2);
    });

    it("keeps a 2025-era server's session with its client, and ends it when the client is let go", async () => {
      const v1 = await startV1Downstream(standIn);
      try {
        const tickets = remoteServer({ name: "tickets", url: v1.url, scopes: ["api://contoso-tickets/Tickets.Read"] });
        const echo = () =>
          converse(tickets, { token: caller, onBehalfOf }, undefined, new AbortController().signal, async (conversation) => ({ client: conversation.client, result: await conversation.client.callTool({ name: "echo", arguments: { message: "x" } }) }), kept);
        const first = await echo();
        const second = await echo();
        assert.equal(second.client, first.client);
        assert.deepEqual(
          v1.seen.map((seen) => seen.method),
          // The era probe (a 2025-era server refuses it), the handshake, then one request per call.
          ["server/discover", "initialize", "notifications/initialized", "tools/call", "tools/call"],
        );
        assert.equal(v1.sessions.size, 1);
        assert.deepEqual(v1.endedSessions, []);
        kept.clear();
        for (let waited = 0; v1.endedSessions.length === 0 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(v1.endedSessions.length, 1, "the session was ended (DELETE) when its client was let go");
        assert.equal(v1.sessions.size, 0);
      } finally {
        await v1.close();
      }
    });

    it("does not keep the client of a call that failed or was cancelled", async () => {
      const first = await whoami(caller);
      demo.fail({ kind: "server_error" }, { method: "tools/call", times: 1 });
      const failure = await whoami(caller).catch((thrown: unknown) => thrown);
      assert.ok(failure instanceof DownstreamFailure, String(failure));
      assert.equal(kept.size, 0, "the failed call's client was closed, not given back");
      const after = await whoami(caller);
      assert.notEqual(after.client, first.client);

      demo.fail({ kind: "delay", ms: 2000 }, { method: "tools/call", times: 1 });
      const cancel = new AbortController();
      const cancelled = whoami(caller, cancel.signal).catch((thrown: unknown) => thrown);
      setTimeout(() => cancel.abort(new Error("the caller cancelled")), 100);
      assert.ok((await cancelled) instanceof DownstreamFailure);
      assert.equal(kept.size, 0);
    });
  });
});
