/**
 * Which examples tools/index.ts offers, decided from the environment when the
 * app loads it: each case loads it in a fresh Node process with the settings
 * of one kind of deployment.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { startDefaultStandIn } from "../support/entra.js";

const TOOLS = new URL("../../tools/index.js", import.meta.url).href;
const SERVER = new URL("../../lib/mcp/server.js", import.meta.url).href;

/** The tool names and the downstream scopes a sign-in asks Entra for, as a process with `env` sees them. */
async function offered(env: Record<string, string>): Promise<{ names: string[]; scopes: string[] }> {
  const { ORDERS_API_URL: _orders, WEBSITE_INSTANCE_ID: _azure, ...inherited } = process.env;
  const script = `const { tools } = await import(${JSON.stringify(TOOLS)}); const { downstreamScopesOf } = await import(${JSON.stringify(SERVER)});
console.log(JSON.stringify({ names: tools.map((tool) => tool.name), scopes: downstreamScopesOf(tools) }));`;
  // Asynchronously: the fake orders API the child reads its OpenAPI document from runs in this process.
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: { ...inherited, ...env }, encoding: "utf8" });
  return JSON.parse(stdout) as { names: string[]; scopes: string[] };
}

describe("the shipped example tools", () => {
  let standIn: EntraStandIn;
  let orders: FakeGraph;
  before(async () => {
    standIn = await startDefaultStandIn();
    orders = await startFakeGraph({ entra: standIn });
  });
  after(async () => {
    await orders.close();
    await standIn.close();
  });

  it("in Azure without an orders API, offers no list_orders and asks Entra for no scope of the fictional Contoso Orders API", async () => {
    const azure = await offered({ WEBSITE_INSTANCE_ID: "abc123", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net" });
    assert.deepEqual(azure.names, ["echo", "convert_temperature", "whoami", "graph_me"]);
    assert.deepEqual(azure.scopes, ["https://graph.microsoft.com/User.Read"], "a sign-in asks for nothing a real tenant lacks (AADSTS500011)");
  });

  it("offers list_orders and the tools of the orders API's OpenAPI document, and asks for their scopes at sign-in, where ORDERS_API_URL names an orders API (npm start's fake, or yours)", async () => {
    const local = await offered({ ORDERS_API_URL: orders.ordersUrl });
    assert.deepEqual(local.names, ["echo", "convert_temperature", "whoami", "graph_me", "list_orders", "orders_listOrders", "orders_createOrder", "orders_getOrder", "orders_getOrderInvoice"]);
    assert.deepEqual(local.scopes, ["https://graph.microsoft.com/User.Read", "api://contoso-orders/Orders.Read", "api://contoso-orders/Orders.Write"]);
  });

  it("stops the app, naming the document, where ORDERS_API_URL names an orders API that does not answer", async () => {
    await assert.rejects(offered({ ORDERS_API_URL: "https://localhost:9/api/orders" }), /OpenAPI document https:\/\/localhost:9\/api\/openapi\.json: could not be fetched/);
  });
});
