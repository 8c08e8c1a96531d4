/**
 * Which examples tools/index.ts offers, decided from the environment when the
 * app loads it: each case loads it in a fresh Node process with the settings
 * of one kind of deployment.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

const TOOLS = new URL("../../tools/index.js", import.meta.url).href;
const SERVER = new URL("../../lib/mcp/server.js", import.meta.url).href;

/** The tool names and the downstream scopes a sign-in asks Entra for, as a process with `env` sees them. */
function offered(env: Record<string, string>): { names: string[]; scopes: string[] } {
  const { ORDERS_API_URL: _orders, WEBSITE_INSTANCE_ID: _azure, ...inherited } = process.env;
  const script = `const { tools } = await import(${JSON.stringify(TOOLS)}); const { downstreamScopesOf } = await import(${JSON.stringify(SERVER)});
console.log(JSON.stringify({ names: tools.map((tool) => tool.name), scopes: downstreamScopesOf(tools) }));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...inherited, ...env }, encoding: "utf8" })) as { names: string[]; scopes: string[] };
}

describe("the shipped example tools", () => {
  it("in Azure without an orders API, offers no list_orders and asks Entra for no scope of the fictional Contoso Orders API", () => {
    const azure = offered({ WEBSITE_INSTANCE_ID: "abc123", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net" });
    assert.deepEqual(azure.names, ["echo", "convert_temperature", "whoami", "graph_me"]);
    assert.deepEqual(azure.scopes, ["https://graph.microsoft.com/User.Read"], "a sign-in asks for nothing a real tenant lacks (AADSTS500011)");
  });

  it("offers list_orders, and asks for its scope at sign-in, where ORDERS_API_URL names an orders API (npm start's fake, or yours)", () => {
    const local = offered({ ORDERS_API_URL: "https://localhost:7444/api/orders" });
    assert.deepEqual(local.names, ["echo", "convert_temperature", "whoami", "graph_me", "list_orders"]);
    assert.deepEqual(local.scopes, ["https://graph.microsoft.com/User.Read", "api://contoso-orders/Orders.Read"]);
  });
});
