/** The fake downstream API (Microsoft Graph `/v1.0/me` and a custom `/api/orders`). See dev/README.md. */
export { startFakeGraph, FakeGraph } from "./fake-graph.js";
export type { AcceptedCall, DownstreamFault, DownstreamFaultFilter, FakeGraphOptions, OrdersApiOptions, RejectedCall, TokenAuthority } from "./fake-graph.js";
