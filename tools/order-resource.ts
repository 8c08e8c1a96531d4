import { z } from "zod";
import { defineResourceTemplate, obo, ResourceError, ResourceNotFound, type DownstreamToken } from "../lib/mcp/index.js";

interface Order {
  readonly id: string;
  readonly item: string;
  readonly status: string;
}

/** The signed-in user's orders from the custom downstream API (the fake orders API under npm start). */
async function ordersOf(orders: DownstreamToken): Promise<Order[]> {
  // Read when called, as list_orders does: the API's URL is a setting of the app.
  const ordersApiUrl = process.env["ORDERS_API_URL"];
  if (ordersApiUrl === undefined) throw new ResourceError("The Orders API is not configured on this server (ORDERS_API_URL).");
  let response: Response;
  try {
    response = await orders.fetch(`${ordersApiUrl}?top=50`);
  } catch (cause) {
    throw new ResourceError("The Orders API could not be reached; try again later.", { cause });
  }
  if (!response.ok) throw new ResourceError(`The Orders API answered ${response.status}; try again later.`);
  const body = (await response.json()) as { value?: Array<Record<string, unknown>> };
  return (body.value ?? []).map((order) => ({ id: String(order["id"]), item: String(order["item"] ?? ""), status: String(order["status"] ?? "") }));
}

/**
 * One of the signed-in user's orders as a resource, `orders://{orderId}`:
 * read through On-Behalf-Of with the Orders API's own scope, listed and
 * completed from the user's own orders.
 */
export default defineResourceTemplate({
  uriTemplate: "orders://{orderId}",
  name: "order",
  title: "Order",
  description: "One of your orders from the Contoso Orders API: item and status, as JSON.",
  mimeType: "application/json",
  variables: { orderId: z.string().regex(/^[0-9]{1,12}$/, "an order number is 1 to 12 digits") },
  needs: { orders: obo(["api://contoso-orders/Orders.Read"]) },
  async list({ orders }) {
    return (await ordersOf(orders)).map((order) => ({ uri: `orders://${order.id}`, name: `order-${order.id}`, title: `Order ${order.id}: ${order.item}` }));
  },
  complete: {
    async orderId(value, { orders }) {
      return (await ordersOf(orders)).map((order) => order.id).filter((id) => id.startsWith(value));
    },
  },
  async read({ orderId }, { orders }) {
    const order = (await ordersOf(orders)).find((candidate) => candidate.id === orderId);
    if (order === undefined) throw new ResourceNotFound(`You have no order ${orderId}.`);
    return order;
  },
});
