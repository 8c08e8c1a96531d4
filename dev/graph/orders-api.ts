/**
 * The fake orders API's routes (`/api/orders...`), served by the fake Graph
 * server once it has checked the token: list, get, place an order, fetch an
 * invoice (a PDF), each as its OpenAPI document (orders-openapi.ts) says,
 * with the errors a real API gives (400 for a bad order, 404 for an unknown
 * one). Orders placed are kept per user for the life of the server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "../http.js";
import type { DevUser } from "../entra/directory.js";

/** Which operation a request is, and what it needs. */
export interface OrdersRoute {
  readonly operation: "listOrders" | "createOrder" | "getOrder" | "getOrderInvoice";
  /** Placing an order needs the write scope; everything else the read scope. */
  readonly write: boolean;
  readonly orderId?: string;
}

interface Order {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly status: "processing" | "shipped" | "delivered";
  readonly note: string | null;
  readonly owner: string;
}

const STATUSES = new Set(["processing", "shipped", "delivered"]);
const FIELDS = new Set(["id", "item", "quantity", "status"]);

/** The route of `method pathname`; `"method_not_allowed"` for a known path with another method; undefined for no route. */
export function ordersRoute(method: string, pathname: string): OrdersRoute | "method_not_allowed" | undefined {
  if (pathname === "/api/orders") {
    if (method === "GET") return { operation: "listOrders", write: false };
    if (method === "POST") return { operation: "createOrder", write: true };
    return "method_not_allowed";
  }
  const match = /^\/api\/orders\/([^/]+)(\/invoice)?$/.exec(pathname);
  if (match === null) return undefined;
  if (method !== "GET") return "method_not_allowed";
  return { operation: match[2] === undefined ? "getOrder" : "getOrderInvoice", write: false, orderId: decodeURIComponent(match[1]!) };
}

/** The orders of every user, seeded with two each. */
export class OrdersStore {
  readonly #placed = new Map<string, Order[]>();
  #next = 2001;

  /** Answers one request of `user`, whose token allowed `route`. */
  async serve(route: OrdersRoute, request: IncomingMessage, response: ServerResponse, url: URL, user: DevUser): Promise<void> {
    const orders = this.#ordersOf(user);
    switch (route.operation) {
      case "listOrders": {
        const top = Math.min(Math.max(Number(url.searchParams.get("top") ?? "10") || 10, 1), 50);
        const wanted = url.searchParams.get("status")?.split(",").filter((status) => status !== "");
        if (wanted?.some((status) => !STATUSES.has(status)) === true) return invalid(response, `status must be among ${[...STATUSES].join(", ")}`);
        const value = orders.filter((order) => wanted === undefined || wanted.includes(order.status)).slice(0, top);
        sendJson(response, 200, { owner: { oid: user.oid, name: user.displayName }, value });
        return;
      }
      case "getOrder": {
        const order = orders.find((candidate) => candidate.id === route.orderId);
        if (order === undefined) return notFound(response, route.orderId);
        const fields = url.searchParams.get("fields")?.split(",").filter((field) => field !== "");
        if (fields?.some((field) => !FIELDS.has(field)) === true) return invalid(response, `fields must be among ${[...FIELDS].join(", ")}`);
        sendJson(response, 200, fields === undefined ? order : Object.fromEntries(Object.entries(order).filter(([key]) => key === "id" || fields.includes(key))));
        return;
      }
      case "getOrderInvoice": {
        const order = orders.find((candidate) => candidate.id === route.orderId);
        if (order === undefined) return notFound(response, route.orderId);
        const pdf = invoicePdf(order);
        response.writeHead(200, { "Content-Type": "application/pdf", "Content-Length": pdf.length, "Content-Disposition": `inline; filename="invoice-${order.id}.pdf"` });
        response.end(pdf);
        return;
      }
      case "createOrder": {
        if ((request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() !== "application/json") return invalid(response, "send the order as application/json");
        let body: unknown;
        try {
          body = JSON.parse(await readBody(request));
        } catch {
          return invalid(response, "the body is not JSON");
        }
        const { item, quantity = 1, note = null, ...rest } = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
        if (Object.keys(rest).length > 0) return invalid(response, `unknown fields: ${Object.keys(rest).join(", ")}`);
        if (typeof item !== "string" || item.trim() === "" || item.length > 200) return invalid(response, "item must be a text of 1-200 characters");
        if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1 || quantity > 100) return invalid(response, "quantity must be a whole number from 1 to 100");
        if (note !== null && (typeof note !== "string" || note.length > 500)) return invalid(response, "note must be a text of at most 500 characters");
        const order: Order = { id: String(this.#next++), item, quantity, status: "processing", note, owner: user.oid };
        orders.unshift(order);
        sendJson(response, 201, order, { Location: `/api/orders/${order.id}` });
        return;
      }
    }
  }

  /** Every user's orders, as an application with the orders app role sees them (ids prefixed with the user's alias). */
  everyones(users: readonly DevUser[]): Record<string, unknown> {
    return { owner: { application: true }, value: users.flatMap((user) => this.#ordersOf(user).map((order) => ({ ...order, id: `${user.alias}-${order.id}` }))) };
  }

  #ordersOf(user: DevUser): Order[] {
    let orders = this.#placed.get(user.oid);
    if (orders === undefined) {
      orders = [
        { id: "1001", item: "Espresso beans, 1 kg", quantity: 1, status: "shipped", note: null, owner: user.oid },
        { id: "1002", item: "Milk frother", quantity: 1, status: "processing", note: null, owner: user.oid },
      ];
      this.#placed.set(user.oid, orders);
    }
    return orders;
  }
}

function invalid(response: ServerResponse, description: string): void {
  sendJson(response, 400, { error: "invalid_request", error_description: description });
}

function notFound(response: ServerResponse, orderId: string | undefined): void {
  sendJson(response, 404, { error: "not_found", error_description: `There is no order ${orderId ?? ""} of yours.` });
}

/** A small, valid one-page PDF naming the order. */
function invoicePdf(order: Order): Buffer {
  const text = `Invoice for order ${order.id}: ${order.quantity} x ${order.item}`.replace(/[()\\]/g, "");
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}
