/**
 * A fake downstream API server standing in for Microsoft Graph (`GET
 * /v1.0/me`) and for a custom API of your own (`/api/orders...`, which
 * publishes its OpenAPI document at `/api/openapi.json`).
 *
 * It accepts only tokens the Entra stand-in issued for its audience, checked
 * the way the real services check them: signature by a published stand-in
 * key (Graph's header-nonce trick included), not expired, the right `aud`
 * and issuer, and the scope the route needs. Anything else gets a 401/403
 * shaped like the real service's. Every accepted token is recorded (decoded
 * claims only), so tests can prove that only OBO tokens reached it and never
 * the MCP client's own token.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { dropConnection, sendJson, sleep } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import { FaultSwitches } from "../fault-switches.js";
import { ensureDevTls } from "../tls.js";
import { GRAPH_APP_ID, GRAPH_RESOURCE, type DevUser, type Directory } from "../entra/directory.js";
import { TokenRejected, type VerifiedToken } from "../entra/jwt.js";
import { ordersRoute, OrdersStore, type OrdersRoute } from "./orders-api.js";
import { ordersOpenApiDocument } from "./orders-openapi.js";

/** What the fake needs from the Entra stand-in (an `EntraStandIn` fits). */
export interface TokenAuthority {
  readonly directory: Directory;
  verifyToken(token: string): Promise<VerifiedToken>;
  /** The v2 issuer of a tenant. */
  issuer(tenant: string): string;
}

/** The custom API served at `/api/orders`. */
export interface OrdersApiOptions {
  /** Identifier URI or client id of the API's app registration; default "api://contoso-orders". */
  readonly resource?: string;
  /** App role an app-only token needs instead (all users' orders); default "Orders.Read.All". */
  readonly appRole?: string;
  /** Delegated scope reading orders requires; default "Orders.Read". */
  readonly scope?: string;
  /** Delegated scope placing an order requires; default "Orders.Write". */
  readonly writeScope?: string;
}

export interface FakeGraphOptions {
  readonly entra: TokenAuthority;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Serve HTTPS with the development certificate (default) or plain HTTP. */
  readonly https?: boolean;
  readonly orders?: OrdersApiOptions;
}

/** A token the fake accepted. */
export interface AcceptedCall {
  readonly at: number;
  readonly route: "me" | "orders";
  /** The request's method and path (`POST /api/orders`). */
  readonly request: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly header: Readonly<Record<string, unknown>>;
  /** The W3C `traceparent` header the caller sent, if any (tests check trace propagation). */
  readonly traceparent?: string;
}

/** A call the fake refused. */
export interface RejectedCall {
  readonly at: number;
  readonly route: string;
  readonly status: number;
  readonly reason: string;
  /** Decoded claims when the token was at least a JWT (unverified). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export type DownstreamFault =
  | { readonly kind: "server_error"; readonly status?: 500 | 502 | 503 | 504; readonly retryAfterSeconds?: number }
  | { readonly kind: "throttled"; readonly retryAfterSeconds?: number }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "drop" };

export interface DownstreamFaultFilter {
  /** Default: both routes. */
  readonly route?: "me" | "orders";
  /** Default: until removed. */
  readonly times?: number;
}

const ME_SCOPES = ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All"];

function decodeUnverified(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly wwwAuthenticate?: string,
  ) {
    super(message);
  }
}

/** A running fake Graph / downstream API server. Create with {@link startFakeGraph}. */
export class FakeGraph {
  readonly accepted: AcceptedCall[] = [];
  readonly rejected: RejectedCall[] = [];
  readonly #listener: LoopbackListener;
  readonly #entra: TokenAuthority;
  readonly #ordersResource: string;
  readonly #ordersScope: string;
  readonly #ordersAppRole: string;
  readonly #ordersWriteScope: string;
  readonly #orders = new OrdersStore();
  readonly #faults = new FaultSwitches<DownstreamFault, "me" | "orders">();

  /** @internal Use {@link startFakeGraph}. */
  constructor(options: FakeGraphOptions, tls: { cert: string; key: string } | undefined) {
    this.#entra = options.entra;
    this.#ordersResource = options.orders?.resource ?? "api://contoso-orders";
    this.#ordersScope = options.orders?.scope ?? "Orders.Read";
    this.#ordersAppRole = options.orders?.appRole ?? "Orders.Read.All";
    this.#ordersWriteScope = options.orders?.writeScope ?? "Orders.Write";
    this.#listener = createLoopbackListener({
      handler: (request, response) => {
        this.#handle(request, response).catch((error: unknown) => {
          console.error("fake graph: unexpected error", error);
          if (!response.headersSent) sendJson(response, 500, { error: { code: "generalException", message: "fake graph internal error" } });
        });
      },
      ...(tls === undefined ? {} : { tls }),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
  }

  get origin(): string {
    return this.#listener.origin;
  }

  get port(): number {
    return this.#listener.port;
  }

  /** `<origin>/v1.0`: what the kit should use instead of https://graph.microsoft.com/v1.0. */
  get graphBaseUrl(): string {
    return `${this.origin}/v1.0`;
  }

  /** `<origin>/api/orders`. */
  get ordersUrl(): string {
    return `${this.origin}/api/orders`;
  }

  /** `<origin>/api/openapi.json`: the orders API's OpenAPI 3.1 document (no token needed). */
  get ordersOpenApiUrl(): string {
    return `${this.origin}/api/openapi.json`;
  }

  /** Makes matching calls fail or slow down. Returns a function that removes the switch. */
  fail(fault: DownstreamFault, filter: DownstreamFaultFilter = {}): () => void {
    return this.#faults.add(fault, filter.times, (route) => filter.route === undefined || filter.route === route);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Forgets accepted and rejected calls. */
  reset(): void {
    this.accepted.length = 0;
    this.rejected.length = 0;
  }

  async start(): Promise<void> {
    await this.#listener.start();
  }

  async stop(): Promise<void> {
    await this.#listener.stop();
  }

  async close(): Promise<void> {
    await this.#listener.stop();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.origin);
    const requestId = randomUUID();
    if (url.pathname === "/api/openapi.json" && request.method === "GET") {
      sendJson(response, 200, ordersOpenApiDocument(this.#ordersResource));
      return;
    }
    const orders = ordersRoute(request.method ?? "GET", url.pathname);
    const route = url.pathname === "/v1.0/me" ? "me" : orders !== undefined ? "orders" : undefined;
    if (route === undefined) {
      sendJson(response, 404, graphError("Request_ResourceNotFound", `Resource not found for the segment '${url.pathname}'.`, requestId, request));
      return;
    }
    if (orders === "method_not_allowed" || (route === "me" && request.method !== "GET")) {
      sendJson(response, 405, graphError("Request_BadRequest", `${request.method ?? ""} is not supported here by the fake.`, requestId, request), { Allow: url.pathname === "/api/orders" ? "GET, POST" : "GET" });
      return;
    }
    const faults = this.#faults.take(route);
    for (const fault of faults) if (fault.kind === "delay") await sleep(fault.ms);
    const terminal = faults.find((fault) => fault.kind !== "delay");
    if (terminal?.kind === "drop") {
      dropConnection(request, response);
      return;
    }
    if (terminal?.kind === "throttled") {
      sendJson(response, 429, graphError("TooManyRequests", "Too many requests.", requestId, request), { "Retry-After": String(terminal.retryAfterSeconds ?? 5) });
      return;
    }
    if (terminal?.kind === "server_error") {
      const status = terminal.status ?? 500;
      sendJson(response, status, graphError(status === 503 ? "serviceNotAvailable" : "generalException", "The fake service is failing on purpose.", requestId, request), {
        ...(terminal.retryAfterSeconds === undefined ? {} : { "Retry-After": String(terminal.retryAfterSeconds) }),
      });
      return;
    }

    try {
      const ordersCall = orders as OrdersRoute | undefined;
      const { verified, user } = await (ordersCall === undefined ? this.#checkGraphToken(request) : this.#checkOrdersToken(request, ordersCall.write ? this.#ordersWriteScope : this.#ordersScope));
      const traceparent = request.headers.traceparent;
      this.accepted.push({ at: Date.now(), route, request: `${request.method ?? "GET"} ${url.pathname}`, claims: verified.claims, header: verified.header, ...(typeof traceparent === "string" ? { traceparent } : {}) });
      if (ordersCall === undefined) sendJson(response, 200, meDocument(user!), { "request-id": requestId });
      else if (user !== undefined) await this.#orders.serve(ordersCall, request, response, url, user);
      else if (ordersCall.operation === "listOrders") sendJson(response, 200, this.#orders.everyones(this.#entra.directory.users()), { "request-id": requestId });
      else throw new Refusal(403, "insufficient_scope", "An application may only list orders; this operation acts for a user.", `Bearer error="insufficient_scope", error_description="a user's token is required"`);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const token = bearer(request);
      const claims = token === undefined ? undefined : decodeUnverified(token);
      this.rejected.push({ at: Date.now(), route, status: error.status, reason: error.message, ...(claims === undefined ? {} : { claims }) });
      const headers: Record<string, string> = { "request-id": requestId };
      if (error.wwwAuthenticate !== undefined) headers["WWW-Authenticate"] = error.wwwAuthenticate;
      if (route === "me") sendJson(response, error.status, graphError(error.code, error.message, requestId, request), headers);
      else sendJson(response, error.status, { error: error.code, error_description: error.message }, headers);
    }
  }

  async #verify(request: IncomingMessage, onInvalid: (message: string) => Refusal): Promise<VerifiedToken> {
    const token = bearer(request);
    if (token === undefined) throw onInvalid("Access token is empty.");
    try {
      return await this.#entra.verifyToken(token);
    } catch (error) {
      if (error instanceof TokenRejected) {
        if (error.code === "expired") throw onInvalid("Lifetime validation failed, the token is expired.");
        throw onInvalid(`Access token validation failure. ${error.reason}.`);
      }
      throw error;
    }
  }

  async #checkGraphToken(request: IncomingMessage): Promise<{ verified: VerifiedToken; user: DevUser }> {
    const invalid = (message: string): Refusal =>
      new Refusal(401, "InvalidAuthenticationToken", message, `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`);
    const verified = await this.#verify(request, invalid);
    const { claims } = verified;
    if (claims.aud !== GRAPH_RESOURCE && claims.aud !== `${GRAPH_RESOURCE}/` && claims.aud !== GRAPH_APP_ID) throw invalid("Access token validation failure. Invalid audience.");
    const tid = typeof claims.tid === "string" ? claims.tid : "";
    if (claims.iss !== `https://sts.windows.net/${tid}/`) throw invalid("Access token validation failure. Invalid issuer.");
    if (typeof claims.scp !== "string") {
      throw new Refusal(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    }
    const scopes = claims.scp.split(" ");
    if (!scopes.some((scope) => ME_SCOPES.includes(scope))) throw new Refusal(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    const user = this.#entra.directory.user(String(claims.oid), tid);
    if (user === undefined) throw new Refusal(404, "Request_ResourceNotFound", `Resource '${String(claims.oid)}' does not exist or one of its queried reference-property objects are not present.`);
    return { verified, user };
  }

  /** A delegated token with `scope` (that user's orders), or an app-only one with the app role (everyone's: `user` undefined). */
  async #checkOrdersToken(request: IncomingMessage, scope: string): Promise<{ verified: VerifiedToken; user: DevUser | undefined }> {
    const invalid = (message: string): Refusal => new Refusal(401, "invalid_token", message, `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`);
    const verified = await this.#verify(request, invalid);
    const { claims } = verified;
    const app = this.#entra.directory.resource(this.#ordersResource);
    if (app === undefined) throw new Error(`The orders API resource '${this.#ordersResource}' is not registered at the Entra stand-in.`);
    if (typeof claims.aud !== "string" || !this.#entra.directory.names(app, claims.aud)) throw invalid(`The audience '${String(claims.aud)}' is not this API.`);
    const tid = typeof claims.tid === "string" ? claims.tid : "";
    const expectedIssuer = app.accessTokenVersion === 2 ? this.#entra.issuer(tid) : `https://sts.windows.net/${tid}/`;
    if (claims.iss !== expectedIssuer) throw invalid(`The issuer '${String(claims.iss)}' is not trusted.`);
    if (claims.scp === undefined) {
      const roles = Array.isArray(claims.roles) ? claims.roles : [];
      if (!roles.includes(this.#ordersAppRole)) {
        throw new Refusal(403, "insufficient_scope", `The app-only token lacks the app role ${this.#ordersAppRole}.`, `Bearer error="insufficient_scope", error_description="app role ${this.#ordersAppRole} required"`);
      }
      return { verified, user: undefined };
    }
    const scopes = typeof claims.scp === "string" ? claims.scp.split(" ") : [];
    if (!scopes.includes(scope)) {
      throw new Refusal(403, "insufficient_scope", `The token lacks the scope ${scope}.`, `Bearer error="insufficient_scope", scope="${scope}"`);
    }
    const user = this.#entra.directory.user(String(claims.oid), tid);
    if (user === undefined) throw invalid("The token's user is unknown.");
    return { verified, user };
  }
}

function bearer(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

function graphError(code: string, message: string, requestId: string, request: IncomingMessage): Record<string, unknown> {
  const clientRequestId = request.headers["client-request-id"];
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ""),
        "request-id": requestId,
        "client-request-id": typeof clientRequestId === "string" ? clientRequestId : requestId,
      },
    },
  };
}

function meDocument(user: DevUser): Record<string, unknown> {
  return {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName ?? user.displayName.split(" ")[0] ?? null,
    jobTitle: user.jobTitle ?? null,
    mail: user.mail ?? user.upn,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: "en-US",
    surname: user.surname ?? (user.displayName.split(" ").slice(1).join(" ") || null),
    userPrincipalName: user.upn,
    id: user.oid,
  };
}

/**
 * Starts the fake Graph / downstream API server.
 *
 * @example
 * const graph = await startFakeGraph({ entra });
 * await fetch(`${graph.graphBaseUrl}/me`, { headers: { Authorization: `Bearer ${oboToken}` } });
 * assert.equal(graph.accepted.length, 1);
 */
export async function startFakeGraph(options: FakeGraphOptions): Promise<FakeGraph> {
  const tls = options.https === false ? undefined : await ensureDevTls();
  const graph = new FakeGraph(options, tls === undefined ? undefined : { cert: tls.cert, key: tls.key });
  await graph.start();
  return graph;
}
