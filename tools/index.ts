/**
 * The tools this server offers, listed explicitly: a tool exists when it is
 * in this list, never because a file happens to sit in this folder.
 */
import type { AnyTool } from "../lib/mcp/index.js";
import convertTemperature from "./convert-temperature.js";
import echo from "./echo.js";
import graphMe from "./graph-me.js";
import listOrders from "./list-orders.js";
import whoami from "./whoami.js";

/** What clients see in `serverInfo`. */
export const serverInfo = {
  name: "mcp-functions-kit",
  version: "0.1.0",
  instructions: "Example tools of MCP Functions Kit.",
};

/**
 * The local fake orders API's operations, generated from the OpenAPI document
 * it publishes beside itself (`orders_listOrders`, `orders_createOrder`...).
 * Only where ORDERS_API_URL points at it (npm start, tests): its fictional
 * `api://contoso-orders` must not join the scopes users consent to in Azure.
 * The document's host may be loopback, hence `privateHosts`.
 */
const ordersApiUrl = process.env["ORDERS_API_URL"];
const ordersApiTools: readonly AnyTool[] =
  ordersApiUrl === undefined
    ? []
    : await (await import("../lib/openapi/index.js")).openApiTools({
        document: new URL("openapi.json", ordersApiUrl),
        prefix: "orders_",
        privateHosts: [new URL(ordersApiUrl).host],
      });

export const tools: readonly AnyTool[] = [echo, convertTemperature, whoami, graphMe, listOrders, ...ordersApiTools];
