/**
 * `npm start` serves the resource, template and prompt examples, the orders
 * template included (npm start points ORDERS_API_URL at its fake orders API
 * before tools/index.ts decides what to serve).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { DEV_TENANT_ID } from "../../dev/defaults.js";
import { startHostProcess, type HostProcess } from "../support/host-process.js";
import { mcpRequest } from "../support/mcp-calls.js";

/** An access token for `user` from `npm run token`, against the stand-in the host process runs. */
async function devToken(host: HostProcess, user: string): Promise<string> {
  const standIn = /local Entra stand-in at (https:\/\/localhost:\d+)/.exec(host.output())?.[1];
  assert.ok(standIn !== undefined, host.output());
  const run = spawn(process.execPath, ["dist/dev/cli.js", "token", user, "--authority", `${standIn}/${DEV_TENANT_ID}`], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  run.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(run, "exit")) as [number | null];
  assert.equal(code, 0);
  return output.trim().split("\n").pop()!;
}

describe("npm start serves the resources, prompts and apps examples", function () {
  this.timeout(60_000);
  let host: HostProcess;

  before(async () => {
    host = await startHostProcess({ env: { DEV_ENTRA_PORT: "0", DEV_GRAPH_PORT: "0", DEV_IDENTITY_PORT: "0" } });
  });
  after(async () => host?.stop());

  it("names them in its banner", () => {
    assert.match(host.output(), /Resources +ui:\/\/graph-me\/profile-card, orders:\/\/\{orderId\}/);
    assert.match(host.output(), /Prompts +introduce_me/);
  });

  it("reads an order and gets the prompt for a dev user, On-Behalf-Of against its own fakes", async () => {
    const mcpUrl = new URL("/mcp", host.baseUrl);
    const token = await devToken(host, "bob");
    const order = await mcpRequest(mcpUrl, token, "resources/read", { uri: "orders://1001" });
    assert.equal(order.status, 200, order.body);
    assert.deepEqual(JSON.parse((order.result?.["contents"] as Array<{ text: string }>)[0]!.text), { id: "1001", item: "Espresso beans, 1 kg", status: "shipped" });
    const prompt = await mcpRequest(mcpUrl, token, "prompts/get", { name: "introduce_me", arguments: { audience: "the team" } });
    assert.match(JSON.stringify(prompt.result), /Name: Bob Example/);
  });
});
