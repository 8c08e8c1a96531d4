/**
 * What this server offers, listed explicitly: a tool, resource or prompt
 * exists when it is in one of these lists, never because a file happens to
 * sit in this folder.
 */
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
  version: "0.1.0",
  instructions: "Example tools of MCP Functions Kit.",
};

export const tools: readonly AnyTool[] = [echo, convertTemperature, whoami, graphMe, listOrders];

/**
 * Resources and resource templates. `orders://{orderId}` reads the Contoso
 * Orders API, which exists only as the local fake: it is served where
 * ORDERS_API_URL is set (npm start sets it), so that a deployment does not
 * ask Entra for a scope of an API no real tenant has.
 */
export const resources: readonly AnyResource[] = [profileCard, ...(process.env["ORDERS_API_URL"] === undefined ? [] : [orderResource])];

/** Prompts. */
export const prompts: readonly AnyPrompt[] = [introduceMe];

/** All of the above: the definition `/mcp` serves (functions/index.ts, npm start, the tests' default). */
export const serverDefinition: McpServerDefinition = { ...serverInfo, tools, resources, prompts };
