/**
 * The tools this server offers, listed explicitly: a tool exists when it is
 * in this list, never because a file happens to sit in this folder.
 */
import { remoteServer, type RemoteServer } from "../lib/gateway/index.js";
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

export const tools: readonly AnyTool[] = [echo, convertTemperature, whoami, graphMe, listOrders];

/**
 * Downstream MCP servers whose tools are offered beside these, renamed
 * `<name>_<tool>` and called On-Behalf-Of the signed-in user (README,
 * "Gateway"). The demo is the local one `npm start` runs; where
 * DEMO_MCP_URL is unset (in Azure) it is not declared.
 */
const demoUrl = process.env["DEMO_MCP_URL"]?.trim();
export const servers: readonly RemoteServer[] = demoUrl === undefined || demoUrl === "" ? [] : [remoteServer({ name: "demo", url: demoUrl })];
