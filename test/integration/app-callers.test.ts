/**
 * App-only callers against the kit, with client-credentials tokens the Entra
 * stand-in issues: refused by default, let in by APP_CALLERS or by an app
 * role a tool requires; obo() and user() refusing them clearly; appToken()
 * calling the fake orders API as the kit itself; every call's audit line
 * naming the caller.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { DAEMON_CLIENT_ID, DAEMON_KIT_ROLE, GRAPH_USER_READ, KIT_CLIENT_ID, ORDERS_CLIENT_ID } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { appToken, defineTool, obo, ToolError, user } from "../../lib/mcp/index.js";
import { connectClient } from "../support/clients.js";
import { clientCredentialsToken, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";

const OTHER_APP = "0a1b2c3d-0000-4000-8000-00000000a990";

describe("app-only callers", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;

  const ordersSummary = defineTool({
    name: "orders_summary",
    description: "Counts every user's orders, calling the orders API as this server",
    input: {},
    output: { orders: z.number() },
    requires: { roles: [DAEMON_KIT_ROLE] },
    needs: { orders: appToken(["api://contoso-orders/.default"]) },
    async run(_args, { orders }) {
      const response = await orders.fetch(graph.ordersUrl);
      if (!response.ok) throw new ToolError(`The orders API answered ${response.status}.`);
      return { orders: ((await response.json()) as { value: unknown[] }).value.length };
    },
  });
  const echo = defineTool({ name: "echo", description: "Says hello", input: {}, async run() { return "hello"; } });
  const graphProfile = defineTool({ name: "graph_profile", description: "Graph as the user", input: {}, needs: { graph: obo([GRAPH_USER_READ]) }, async run() { return "unreachable for apps"; } });
  const whoami = defineTool({ name: "whoami", description: "The user", input: {}, needs: { me: user() }, async run(_args, { me }) { return me.oid; } });
  const unknownApi = defineTool({
    name: "unknown_api",
    description: "An app token for an API the tenant does not have",
    input: {},
    requires: { roles: [DAEMON_KIT_ROLE] },
    needs: { api: appToken(["api://00000000-0000-4000-8000-00000000dead/.default"]) },
    async run() { return "unreachable"; },
  });
  const server = { name: "app-callers", version: "1", tools: [ordersSummary, echo, graphProfile, whoami, unknownApi] };

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn({
      applications: [...(await import("../../dev/defaults.js")).DEV_APPLICATIONS, { clientId: OTHER_APP, displayName: "Unlisted daemon", secrets: ["other-secret"] }],
    });
    graph = await startFakeGraph({ entra: standIn });
  });
  after(async () => {
    await graph?.close();
    await standIn?.close();
  });

  describe("without APP_CALLERS", () => {
    let kit: RunningKit;
    before(async () => (kit = await startProxyKit(standIn, { server })));
    after(() => kit?.close());

    it("lets an app holding a role a tool requires call that tool, which calls the orders API as the kit itself", async () => {
      const daemon = await clientCredentialsToken(standIn);
      const client = await connectClient("v2-auto", kit.mcpUrl, { headers: { authorization: `Bearer ${daemon}` } });
      try {
        const result = await client.callTool("orders_summary", {});
        assert.equal(result.isError, undefined, JSON.stringify(result));
        assert.equal(result.structuredContent?.["orders"], 6, "every dev user's orders: the API saw an application");
      } finally {
        await client.close();
      }
      const seen = graph.accepted.at(-1)!.claims;
      assert.equal(seen["aud"], ORDERS_CLIENT_ID);
      assert.equal(seen["azp"], KIT_CLIENT_ID, "the kit's own identity, not the daemon's token");
      assert.deepEqual(seen["roles"], ["Orders.Read.All"]);
      assert.equal(seen["scp"], undefined);
    });

    it("refuses that app every tool that requires no role it holds (403, as the gate)", async () => {
      const answer = await callTool(kit.mcpUrl, await clientCredentialsToken(standIn), "echo");
      assert.equal(answer.status, 403, answer.body);
      assert.match(answer.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
      assert.match(answer.body, /App-only tokens are not accepted from this application for echo/);
    });

    it("refuses an app holding no role any tool requires at the gate", async () => {
      const answer = await callTool(kit.mcpUrl, await clientCredentialsToken(standIn, OTHER_APP, "other-secret"), "orders_summary");
      assert.equal(answer.status, 403, answer.body);
      assert.match(answer.body, /App-only tokens are not accepted from this application/);
      assert.match(kit.logs.text(), new RegExp(`"event":"auth\\.refused".*"kind":"app","appId":"${OTHER_APP}"`));
    });

    it("fetches the kit's app token once, even for concurrent calls, and serves it from its cache", async () => {
      const fresh = await startProxyKit(standIn, { server });
      try {
        const kitRequests = (): number => standIn.activity.records({ grantType: "client_credentials" }).filter((record) => record.clientId === KIT_CLIENT_ID).length;
        const before = kitRequests();
        const daemon = await clientCredentialsToken(standIn);
        const answers = await Promise.all([1, 2, 3].map(() => callTool(fresh.mcpUrl, daemon, "orders_summary")));
        answers.push(await callTool(fresh.mcpUrl, daemon, "orders_summary"));
        assert.deepEqual(answers.map((answer) => answer.isError), [false, false, false, false]);
        assert.equal(kitRequests() - before, 1);
      } finally {
        await fresh.close();
      }
    });

    it("explains a failed app token without Entra's text, which goes to the log", async () => {
      const answer = await callTool(kit.mcpUrl, await clientCredentialsToken(standIn), "unknown_api");
      assert.equal(answer.isError, true);
      assert.match(answer.text, /could not get a token for api:\/\/00000000-0000-4000-8000-00000000dead as itself; its operator should check the application permissions/);
      assert.doesNotMatch(answer.text, /AADSTS/);
      assert.match(kit.logs.text(), /"event":"app_token\.failed".*AADSTS500011/);
    });
  });

  describe(`with APP_CALLERS=${DAEMON_CLIENT_ID}`, () => {
    let kit: RunningKit;
    before(async () => (kit = await startProxyKit(standIn, { server, env: { APP_CALLERS: DAEMON_CLIENT_ID } })));
    after(() => kit?.close());

    it("lets the listed app call tools that require no role", async () => {
      const answer = await callTool(kit.mcpUrl, await clientCredentialsToken(standIn), "echo");
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.text, "hello");
    });

    it("gives obo() and user() a clear message: there is no user", async () => {
      const daemon = await clientCredentialsToken(standIn);
      const oboAnswer = await callTool(kit.mcpUrl, daemon, "graph_profile");
      assert.equal(oboAnswer.isError, true);
      assert.match(oboAnswer.text, new RegExp(`needs a token for ${GRAPH_USER_READ.replace(/[./]/g, "\\$&")} on behalf of the signed-in user, but the caller is an application \\(client id ${DAEMON_CLIENT_ID}\\) signed in as itself, with no user`));
      assert.match(oboAnswer.text, /uses appToken\(\)/);
      const userAnswer = await callTool(kit.mcpUrl, daemon, "whoami");
      assert.match(userAnswer.text, /needs the signed-in user, but the caller is an application/);
      assert.equal(standIn.activity.records({ grantType: "obo" }).length, 0, "no On-Behalf-Of was attempted with an app token");
    });

    it("still refuses an app that is not listed", async () => {
      const answer = await callTool(kit.mcpUrl, await clientCredentialsToken(standIn, OTHER_APP, "other-secret"), "echo");
      assert.equal(answer.status, 403, answer.body);
    });

    it("names the caller on the audit line of every call: the app's client id, or the user's object id", async () => {
      const mark = kit.logs.lines.length;
      await callTool(kit.mcpUrl, await clientCredentialsToken(standIn), "echo");
      await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice" }), "whoami");
      const audit = kit.logs.lines.slice(mark).filter((line) => line.text.includes('"event":"tool.called"'));
      assert.equal(audit.length, 2, kit.logs.text());
      assert.match(audit[0]!.text, new RegExp(`"kind":"app","appId":"${DAEMON_CLIENT_ID}"`));
      assert.match(audit[0]!.text, /"outcome":"ok"/);
      assert.match(audit[1]!.text, /"kind":"user","oid":"a11ce000-0000-4000-8000-000000000001"/);
    });
  });
});
