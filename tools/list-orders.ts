import { z } from "zod";
import { defineTool, obo, ToolError } from "../lib/mcp/index.js";


/** Lists the signed-in user's orders from a custom downstream API, called On-Behalf-Of the user with that API's own scope. */
export default defineTool({
  name: "list_orders",
  title: "My orders",
  description: "Lists the signed-in user's recent orders from the Contoso Orders API.",
  input: { top: z.number().int().min(1).max(50).default(10).describe("How many orders to return (1-50)") },
  output: { orders: z.array(z.object({ id: z.string(), item: z.string(), status: z.string() })) },
  needs: { orders: obo(["api://contoso-orders/Orders.Read"]) },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run({ top }, { orders }) {
    // The custom downstream API: your own API protected by Entra, with its own scope.
    const ordersApiUrl = process.env["ORDERS_API_URL"];
    if (ordersApiUrl === undefined) throw new ToolError("The Orders API is not configured on this server (ORDERS_API_URL).");
    let response: Response;
    try {
      response = await orders.fetch(`${ordersApiUrl}?top=${top}`);
    } catch (cause) {
      throw new ToolError("The Orders API could not be reached; try again later.", { cause });
    }
    if (!response.ok) throw new ToolError(`The Orders API answered ${response.status}; try again later.`);
    // The API answers like Graph: a `value` array.
    const body = (await response.json()) as { value?: Array<Record<string, unknown>> };
    return {
      orders: (body.value ?? []).slice(0, top).map((order) => ({ id: String(order["id"]), item: String(order["item"] ?? ""), status: String(order["status"] ?? "") })),
    };
  },
});
