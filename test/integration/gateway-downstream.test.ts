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
import { converse } from "../../lib/gateway/downstream.js";
import { DownstreamFailure } from "../../lib/gateway/errors.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { StepUpRequiredError, type OnBehalfOf } from "../../lib/mcp/needs.js";
import { DemoToolEvents, demoTestTools } from "../support/demo-tools.js";
import { GATEWAY_APPLICATIONS } from "../support/downstreams.js";
import { oboAsKit, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";

describe("gateway: one conversation with a downstream", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let demo: DemoMcpServer;
  let caller: ValidatedToken;
  const calls = { exchanges: 0, invalidations: 0 };
  const onBehalfOf: OnBehalfOf = {
    async exchange(token, scopes) {
      calls.exchanges++;
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
    caller = { token, claims: {}, tenantId: DEV_TENANT_ID, objectId: "a11ce000-0000-4000-8000-000000000001", scopes: ["mcp.access"], roles: [], clientId: undefined, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
  });
  after(async () => {
    await demo?.close();
    await standIn?.close();
  });
  beforeEach(() => {
    calls.exchanges = 0;
    calls.invalidations = 0;
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
});
