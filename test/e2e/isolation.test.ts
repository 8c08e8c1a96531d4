/**
 * What the hot path now shares between requests never crosses users: the
 * remembered (frozen) token validation, the tool registrations built once per
 * tool, and the server built per request with only the called tools. Alice
 * and Bob call and list in parallel, on both protocol eras, through one
 * instance.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { claim, defineTool, user } from "../../lib/mcp/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool, legacyMcpRequest, mcpRequest } from "../support/mcp-calls.js";
import { pool } from "../support/pool.js";

const ADMIN_ROLE = "Tools.Admin";

const whoCalls = defineTool({
  name: "who_calls",
  description: "Names the caller and their groups",
  input: {},
  needs: { me: user(), groups: claim<string[]>("groups") },
  async run(_args, { me, groups }) {
    return { oid: me.oid, name: me.name ?? "", groups: [...groups] };
  },
  output: { oid: z.string(), name: z.string(), groups: z.array(z.string()) },
});
const tamper = defineTool({
  name: "tamper",
  description: "Tries to change the caller's claims for whoever comes next",
  input: {},
  needs: { groups: claim<string[]>("groups") },
  async run(_args, { groups }) {
    groups.push("intruders");
    return "changed";
  },
});
const adminOnly = defineTool({
  name: "admin_only",
  description: "Only for callers holding the admin app role",
  input: {},
  requires: { roles: [ADMIN_ROLE] },
  async run() {
    return "admin";
  },
});

describe("isolation of what requests share, two users in parallel", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let alice: string;
  let bob: string;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { server: { name: "isolation", version: "1", tools: [whoCalls, tamper, adminOnly] } });
    alice = await standIn.mintAccessToken({ user: "alice", claims: { groups: ["alice-team"], roles: [ADMIN_ROLE] } });
    bob = await standIn.mintAccessToken({ user: "bob", claims: { groups: ["bob-team"] } });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  it("gives each caller their own claims and results, whatever runs beside them, on both eras", async () => {
    const answers = await pool(240, 24, async (index) => {
      const isAlice = index % 2 === 0;
      const token = isAlice ? alice : bob;
      const modern = index % 4 < 2;
      const answer = modern ? await mcpRequest(kit.mcpUrl, token, "tools/call", { name: "who_calls", arguments: {} }) : await legacyMcpRequest(kit.mcpUrl, token, "tools/call", { name: "who_calls", arguments: {} });
      return { isAlice, answer };
    });
    for (const { isAlice, answer } of answers) {
      assert.equal(answer.status, 200, answer.body);
      const structured = answer.result?.["structuredContent"] as { name: string; groups: string[] };
      assert.equal(structured.name, isAlice ? "Alice Example" : "Bob Example", answer.body);
      assert.deepEqual(structured.groups, isAlice ? ["alice-team"] : ["bob-team"]);
    }
  });

  it("lets no tool change the claims the next request sees: they are frozen", async () => {
    const tampered = await callTool(kit.mcpUrl, alice, "tamper");
    assert.equal(tampered.isError, true, tampered.text);
    const after = await callTool(kit.mcpUrl, alice, "who_calls");
    assert.deepEqual(after.structured?.["groups"], ["alice-team"]);
  });

  it("never serves a list that depends on the caller to another caller, under parallel lists and calls", async () => {
    const answers = await pool(160, 16, async (index) => {
      const isAlice = index % 2 === 0;
      const token = isAlice ? alice : bob;
      // Calls in between: the server each of them gets registers only the called tool.
      if (index % 3 === 0) return { isAlice, names: undefined, call: await callTool(kit.mcpUrl, token, "admin_only") };
      const listed = index % 4 < 2 ? await mcpRequest(kit.mcpUrl, token, "tools/list") : await legacyMcpRequest(kit.mcpUrl, token, "tools/list");
      assert.equal(listed.status, 200, listed.body);
      return { isAlice, names: (listed.result?.["tools"] as Array<{ name: string }>).map((tool) => tool.name).sort(), call: undefined };
    });
    for (const { isAlice, names, call } of answers) {
      if (names !== undefined) assert.deepEqual(names, isAlice ? ["admin_only", "tamper", "who_calls"] : ["tamper", "who_calls"]);
      if (call !== undefined) {
        assert.equal(call.isError, !isAlice, call.text);
        if (!isAlice) assert.match(call.text, /needs the app role Tools\.Admin/);
      }
    }
  });
});
