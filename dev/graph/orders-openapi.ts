/**
 * The OpenAPI 3.1 document the fake orders API publishes at
 * `/api/openapi.json`, as an Entra-protected API of your own would: an
 * OAuth2 scheme whose scopes are written in full form under the API's
 * identifier URI, one scope per kind of access, and a relative server URL
 * (the document sits beside the API).
 */

/** The orders API's document; `resource` is its identifier URI (default `api://contoso-orders`). */
export function ordersOpenApiDocument(resource = "api://contoso-orders"): Record<string, unknown> {
  const read = `${resource}/Orders.Read`;
  const write = `${resource}/Orders.Write`;
  const orderId = {
    name: "orderId",
    in: "path",
    required: true,
    description: "The order's number",
    schema: { type: "string", pattern: "^[0-9]{1,12}$" },
  };
  const error = { description: "What went wrong", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  return {
    openapi: "3.1.0",
    info: { title: "Contoso Orders API", version: "1.0.0", description: "The signed-in user's orders (a local fake of an Entra-protected API)." },
    servers: [{ url: "/api" }],
    security: [{ entra: [read] }],
    tags: [{ name: "orders" }, { name: "documents" }],
    paths: {
      "/orders": {
        get: {
          operationId: "listOrders",
          tags: ["orders"],
          summary: "Lists the signed-in user's orders",
          description: "Most recent first; optionally only those in the given states.",
          parameters: [
            { name: "top", in: "query", description: "How many orders to return", schema: { type: "integer", minimum: 1, maximum: 50, default: 10 } },
            {
              name: "status",
              in: "query",
              description: "Only orders in these states",
              style: "form",
              explode: false,
              schema: { type: "array", items: { $ref: "#/components/schemas/Status" } },
            },
          ],
          responses: {
            "200": {
              description: "The orders",
              content: { "application/json": { schema: { type: "object", properties: { value: { type: "array", items: { $ref: "#/components/schemas/Order" } } }, required: ["value"] } } },
            },
          },
        },
        post: {
          operationId: "createOrder",
          tags: ["orders"],
          summary: "Places an order for the signed-in user",
          security: [{ entra: [write] }],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/NewOrder" } } } },
          responses: { "201": { description: "The order placed", content: { "application/json": { schema: { $ref: "#/components/schemas/Order" } } } }, "400": error },
        },
      },
      "/orders/{orderId}": {
        parameters: [orderId],
        get: {
          operationId: "getOrder",
          tags: ["orders"],
          summary: "One of the signed-in user's orders",
          parameters: [
            {
              name: "fields",
              in: "query",
              description: "Only these fields (all when absent)",
              explode: false,
              schema: { type: "array", items: { type: "string", enum: ["id", "item", "quantity", "status"] } },
            },
          ],
          responses: { "200": { description: "The order", content: { "application/json": { schema: { $ref: "#/components/schemas/Order" } } } }, "404": error },
        },
      },
      "/orders/{orderId}/invoice": {
        parameters: [orderId],
        get: {
          operationId: "getOrderInvoice",
          tags: ["documents"],
          summary: "The invoice of an order, as a PDF",
          responses: { "200": { description: "The invoice", content: { "application/pdf": { schema: { type: "string", contentMediaType: "application/pdf" } } } }, "404": error },
        },
      },
    },
    components: {
      securitySchemes: {
        entra: {
          type: "oauth2",
          description: "Microsoft Entra ID (delegated permissions)",
          flows: {
            authorizationCode: {
              authorizationUrl: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
              tokenUrl: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
              scopes: { [read]: "Read your orders", [write]: "Place orders for you" },
            },
          },
        },
      },
      schemas: {
        Status: { type: "string", enum: ["processing", "shipped", "delivered"] },
        Order: {
          type: "object",
          properties: {
            id: { type: "string", readOnly: true },
            item: { type: "string" },
            quantity: { type: "integer", minimum: 1 },
            status: { $ref: "#/components/schemas/Status" },
            note: { type: ["string", "null"] },
          },
          required: ["id"],
        },
        NewOrder: {
          type: "object",
          properties: {
            item: { type: "string", minLength: 1, maxLength: 200, description: "What to order" },
            quantity: { type: "integer", minimum: 1, maximum: 100, default: 1 },
            note: { type: ["string", "null"], maxLength: 500 },
          },
          required: ["item"],
          additionalProperties: false,
        },
        Error: { type: "object", properties: { error: { type: "string" }, error_description: { type: "string" } }, required: ["error"] },
      },
    },
  };
}
