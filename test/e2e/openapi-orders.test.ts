/**
 * Tools generated from the fake orders API's own OpenAPI 3.1 document,
 * fetched over HTTPS at startup, end to end: an MCP SDK client signs in
 * through the facade at the Entra stand-in, calls the generated tools, and
 * the API sees only On-Behalf-Of tokens for its own audience with each
 * operation's scope, never the client's token.
 */
import assert from "node:assert/strict";
import { KIT_CLIENT_ID, ORDERS_CLIENT_ID, ORDERS_IDENTIFIER_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { openApiTools } from "../../lib/openapi/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";
import type { ConnectedClient } from "../support/clients.js";

describe("OpenAPI tools: the fake orders API through a real sign-in", function () {
  this.timeout(120_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let kit: RunningKit;
  let client: ConnectedClient;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    const tools = await openApiTools({ document: graph.ordersOpenApiUrl, prefix: "orders_", privateHosts: [new URL(graph.origin).host] });
    kit = await startProxyKit(standIn, { server: { name: "openapi-e2e", version: "1", tools } });
    const provider = new HeadlessOAuthProvider({
      redirectUrl: "http://127.0.0.1:45679/callback",
      clientMetadata: { client_name: "OpenAPI e2e", redirect_uris: ["http://127.0.0.1:45679/callback"], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user: "alice" }),
    });
    client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
  });
  after(async () => {
    await client?.close();
    await kit?.close();
    await graph?.close();
    await standIn?.close();
  });
  beforeEach(() => graph.reset());

  /** Every call the API accepted: an OBO token for the orders API, of alice, with `scope`. */
  const assertOboOnly = (scope: string, request: string): void => {
    assert.equal(graph.rejected.length, 0, JSON.stringify(graph.rejected));
    assert.equal(graph.accepted.length, 1);
    const { claims, request: seen } = graph.accepted[0]!;
    assert.equal(seen, request);
    assert.ok([ORDERS_IDENTIFIER_URI, ORDERS_CLIENT_ID].includes(String(claims["aud"])), String(claims["aud"]));
    assert.notEqual(claims["aud"], KIT_CLIENT_ID, "the MCP client's token never reached the API");
    assert.equal(claims["azp"] ?? claims["appid"], KIT_CLIENT_ID, "the token was issued to the kit, On-Behalf-Of the user");
    assert.equal(claims["oid"], "a11ce000-0000-4000-8000-000000000001");
    assert.deepEqual(String(claims["scp"]).split(" "), [scope]);
  };

  it("lists the document's operations as tools, and asked Entra at sign-in for both of the API's scopes", async () => {
    assert.deepEqual(await client.listToolNames(), ["orders_listOrders", "orders_createOrder", "orders_getOrder", "orders_getOrderInvoice"]);
    const signIn = standIn.activity.records({ endpoint: "authorize" }).at(-1)!;
    for (const scope of ["Orders.Read", "Orders.Write"]) assert.ok(signIn.scopes?.includes(`${ORDERS_IDENTIFIER_URI}/${scope}`), JSON.stringify(signIn.scopes));
  });

  it("a GET with path and query parameters", async () => {
    const result = await client.callTool("orders_getOrder", { orderId: "1002", fields: ["item", "status"] });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    assert.deepEqual(result.structuredContent, { id: "1002", item: "Milk frother", status: "processing" });
    assertOboOnly("Orders.Read", "GET /api/orders/1002");
  });

  it("a GET with a list in the query (form, not exploded)", async () => {
    const result = await client.callTool("orders_listOrders", { top: 5, status: ["shipped", "delivered"] });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const orders = (result.structuredContent as { value: Array<{ id: string; status: string }> }).value;
    assert.ok(orders.length > 0 && orders.every((order) => order.status === "shipped" || order.status === "delivered"), JSON.stringify(orders));
    assertOboOnly("Orders.Read", "GET /api/orders");
  });

  it("a POST with a JSON body, with the write scope; the order is then there to read", async () => {
    const result = await client.callTool("orders_createOrder", { body: { item: "Tamper, 58 mm", quantity: 2 } });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const placed = result.structuredContent as { id: string; item: string; quantity: number; status: string };
    assert.deepEqual({ item: placed.item, quantity: placed.quantity, status: placed.status }, { item: "Tamper, 58 mm", quantity: 2, status: "processing" });
    assertOboOnly("Orders.Write", "POST /api/orders");
    graph.reset();
    const read = await client.callTool("orders_getOrder", { orderId: placed.id });
    assert.equal((read.structuredContent as { item: string }).item, "Tamper, 58 mm");
  });

  it("an error status: an isError result with the status and the API's own words", async () => {
    const result = await client.callTool("orders_getOrder", { orderId: "9999" });
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text!, /^GET \/orders\/\{orderId\} answered 404 Not Found\. The API said: \{"error":"not_found","error_description":"There is no order 9999 of yours\."\}$/);
    assertOboOnly("Orders.Read", "GET /api/orders/9999");
  });

  it("bad arguments never reach the API", async () => {
    const result = await client.callTool("orders_createOrder", { body: { item: "", quantity: 500 } });
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text!, /item|quantity/);
    assert.equal(graph.accepted.length + graph.rejected.length, 0);
  });

  it("the v1 SDK client (2025-era protocol) lists and calls them too, its schema checks passing", async () => {
    const provider = new HeadlessOAuthProvider({
      redirectUrl: "http://127.0.0.1:45680/callback",
      clientMetadata: { client_name: "OpenAPI e2e v1", redirect_uris: ["http://127.0.0.1:45680/callback"], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user: "bob" }),
    });
    const v1 = await connectWithOAuth("v1", kit.mcpUrl, provider);
    try {
      assert.ok((await v1.listToolNames()).includes("orders_getOrder"));
      const result = await v1.callTool("orders_getOrder", { orderId: "1001", fields: ["item"] });
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.deepEqual(result.structuredContent, { id: "1001", item: "Espresso beans, 1 kg" });
    } finally {
      await v1.close();
    }
    assert.equal(graph.accepted[0]!.claims["oid"], "b0b00000-0000-4000-8000-000000000002");
  });

  it("a binary answer: the invoice as an embedded PDF resource", async () => {
    const result = await client.callTool("orders_getOrderInvoice", { orderId: "1001" });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const resource = (result.content[1] as unknown as { resource: { uri: string; mimeType: string; blob: string } }).resource;
    assert.equal(resource.mimeType, "application/pdf");
    assert.equal(resource.uri, `${graph.origin}/api/orders/1001/invoice`);
    const pdf = Buffer.from(resource.blob, "base64").toString("latin1");
    assert.ok(pdf.startsWith("%PDF-1.4") && pdf.trimEnd().endsWith("%%EOF"));
    assert.match(pdf, /Invoice for order 1001: 1 x Espresso beans, 1 kg/);
    assertOboOnly("Orders.Read", "GET /api/orders/1001/invoice");
  });
});
