/**
 * What this server offers, listed explicitly: a tool, resource or prompt
 * exists when it is in one of these lists, never because a file happens to
 * sit in this folder.
 */
import { remoteServer, type RemoteServer } from "../lib/gateway/index.js";
import type { AnyPrompt, AnyResource, AnyTool, McpServerDefinition } from "../lib/mcp/index.js";
import convertTemperature from "./convert-temperature.js";
import echo from "./echo.js";
import graphMe from "./graph-me.js";
import introduceMe from "./introduce-me.js";
import listOrders from "./list-orders.js";
import orderResource from "./order-resource.js";
import profileCard from "./profile-card.js";
import whoami from "./whoami.js";

/** What clients see in `serverInfo`. */
export const serverInfo = {
  name: "mcp-functions-kit",
  /** What people see: clients' UIs and the consent page (SERVER_DISPLAY_NAME overrides it there). */
  title: "MCP Functions Kit",
  version: "0.1.0",
  instructions: "Example tools of MCP Functions Kit.",
};

/**
 * `list_orders` (and the `orders://{orderId}` template below) call the Contoso Orders API, which exists only as the local
 * fake (`npm start` sets ORDERS_API_URL to it): it is offered only where
 * ORDERS_API_URL names an orders API. Offered everywhere, its scope
 * (api://contoso-orders/Orders.Read) would be asked of Entra at every
 * sign-in, and a tenant without that API refuses the sign-in (AADSTS500011).
 * Gate your own examples of an API that not every deployment has the same way.
 */
const ordersApiUrl = process.env["ORDERS_API_URL"]?.trim() || undefined;
const ordersApi = ordersApiUrl !== undefined;

/**
 * The same orders API's operations, generated from the OpenAPI document it
 * publishes beside itself (`orders_listOrders`, `orders_createOrder`...),
 * gated the same way. The document's host may be loopback, hence `privateHosts`.
 */
const ordersApiTools: readonly AnyTool[] =
  ordersApiUrl === undefined
    ? []
    : await (await import("../lib/openapi/index.js")).openApiTools({
        document: new URL("openapi.json", ordersApiUrl),
        prefix: "orders_",
        privateHosts: [new URL(ordersApiUrl).host],
      });

export const tools: readonly AnyTool[] = [echo, convertTemperature, whoami, graphMe, ...(ordersApi ? [listOrders] : []), ...ordersApiTools];

/**
 * Downstream MCP servers whose tools are offered beside these, renamed
 * `<name>_<tool>` and called On-Behalf-Of the signed-in user (README,
 * "Gateway"). The demo is the local one `npm start` runs; where
 * DEMO_MCP_URL is unset (in Azure) it is not declared.
 */
const demoUrl = process.env["DEMO_MCP_URL"]?.trim();
export const servers: readonly RemoteServer[] = demoUrl === undefined || demoUrl === "" ? [] : [remoteServer({ name: "demo", url: demoUrl })];

/** Resources and resource templates; `orders://{orderId}` is gated like `list_orders`. */
export const resources: readonly AnyResource[] = [profileCard, ...(ordersApi ? [orderResource] : [])];

/** Prompts. */
export const prompts: readonly AnyPrompt[] = [introduceMe];

/**
 * The tools, resources and prompts: the definition `/mcp` serves
 * (functions/index.ts, npm start, the tests' default). The remote servers
 * join it at startup, once their scopes are resolved.
 */
export const serverDefinition: McpServerDefinition = { ...serverInfo, tools, resources, prompts };
