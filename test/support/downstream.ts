/**
 * The peers On-Behalf-Of needs in a test: the Entra stand-in and the fake
 * Graph / orders API, with the downstream URLs the example tools, resources
 * and prompts read when they run set in this process's environment, as app
 * settings are in Azure.
 */
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "./entra.js";

export interface OboPeers {
  readonly standIn: EntraStandIn;
  readonly graph: FakeGraph;
  /** Stops both and removes the environment variables. */
  close(): Promise<void>;
}

/**
 * Starts the stand-in and the fake downstream API, and sets GRAPH_BASE_URL
 * and ORDERS_API_URL to it.
 *
 * @example
 * const peers = await startOboPeers();
 * const kit = await startProxyKit(peers.standIn);
 */
export async function startOboPeers(): Promise<OboPeers> {
  requireDevTlsTrust();
  const standIn = await startDefaultStandIn();
  const graph = await startFakeGraph({ entra: standIn });
  process.env["GRAPH_BASE_URL"] = graph.graphBaseUrl;
  process.env["ORDERS_API_URL"] = graph.ordersUrl;
  return {
    standIn,
    graph,
    async close() {
      delete process.env["GRAPH_BASE_URL"];
      delete process.env["ORDERS_API_URL"];
      await graph.close();
      await standIn.close();
    },
  };
}
