/**
 * One conversation with a downstream MCP server, as one user: the MCP SDK
 * client (auto negotiation, so 2026-07-28 and 2025-era servers both work)
 * over Streamable HTTP, with an On-Behalf-Of token for that server's
 * audience and nothing else.
 *
 * The kit stays stateless: a conversation lasts one request to the kit. What
 * outlives it is only a cache, per (server, user): the era verdict (for a
 * 2026-07-28 server its `server/discover` result, so later calls cost one
 * request; for a 2025-era server "legacy", so the probe is skipped), kept by
 * the caller, and the connected client itself (with a 2025-era server's
 * session), idle until the same user's next call takes it, so that call
 * sets up nothing.
 *
 * Failures come out as {@link DownstreamFailure}: what went wrong, in words
 * that name the server and never repeat what it said unbounded.
 */
import {
  Client,
  InsufficientScopeError,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type AuthProvider,
  type PriorDiscovery,
} from "@modelcontextprotocol/client";
import type { ValidatedToken } from "../entra/access-token.js";
import type { OnBehalfOf } from "../mcp/needs.js";
import { NeedError, StepUpRequiredError } from "../mcp/needs.js";
import { withDeadline } from "../abort.js";
import { boundedFetch, ResponseTooLargeError } from "./bounded-fetch.js";
import { DownstreamFailure } from "./errors.js";
import { IdleClients } from "./idle-clients.js";
import type { RemoteServer } from "./remote-server.js";
import { cleanMessage } from "./untrusted-text.js";

/** Largest response body the kit reads from a downstream server (a tool result, a list, a resource). */
export const DOWNSTREAM_RESPONSE_LIMIT_BYTES = 16 * 1024 * 1024;

/** Who the conversation is for. */
export interface DownstreamCaller {
  readonly token: ValidatedToken;
  readonly onBehalfOf: OnBehalfOf;
}

/** An open conversation. */
export interface Conversation {
  readonly client: Client;
  /** The signal to give every request: aborts at the caller's signal, and when the kit refuses a response. */
  readonly signal: AbortSignal;
  /** The era verdict to cache for the next conversation with this server and user. */
  verdict(): PriorDiscovery | undefined;
}

/**
 * A client and its transport, with what the conversation holding it brings:
 * the transport asks the binding for the caller's token and reports a
 * refused response to it, so a kept client serves each conversation as that
 * conversation's caller, with that conversation's signal.
 */
export interface Connection {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  binding: Binding | undefined;
  /** Who the last conversation was for: a kept 2025-era session is ended, when let go, as that user. */
  lastCaller: DownstreamCaller | undefined;
  /** When it connected: a kept client is used for a minute at most (`maxAgeMs`), so what it learnt then (capabilities, era) is learnt again. */
  readonly connectedAt: number;
}

interface Binding {
  readonly caller: DownstreamCaller;
  readonly guard: AbortController;
  refused: ResponseTooLargeError | undefined;
  /** Whether the token was refreshed after a 401 in this conversation: a second 401 fails it. */
  refreshed: boolean;
}

/**
 * Clients kept idle between calls per (server, user), as a cache: for a
 * 2026-07-28 server only the SDK objects and the era they learnt, for a
 * 2025-era server also its session, so that a call through a kept client is
 * one request, with no handshake before it and nothing to end after it. A
 * kept session the server has forgotten is opened afresh, once; a session is
 * ended (`DELETE`) when its client is let go.
 */
export type KeptConnections = IdleClients<Connection>;

/** The keeping the gateway uses: as many idle clients per (server, user) as its calls ran at once, up to 4; 500 in all; a minute idle, and a minute after connecting, at most. */
export function keptConnections(): KeptConnections {
  return new IdleClients<Connection>({ perKey: 4, total: 500, idleMs: 60_000, maxAgeMs: 60_000 }, (connection) => {
    // Ending a kept session is a request as its last caller.
    if (connection.lastCaller !== undefined) connection.binding = newBinding(connection.lastCaller);
    void release(connection, true);
  });
}

/** Raised inside {@link converse} when a kept 2025-era session turns out to be gone: the call is made again on a new one. */
class ForgottenSession extends Error {}

/**
 * Opens a conversation with `server` as the caller's user, runs `work`, and
 * closes it whatever happens, or gives its client back to `kept` for the
 * same user's next conversation when nothing went wrong. `prior` is the
 * cached era verdict, if any.
 * @throws DownstreamFailure, StepUpRequiredError (the server wants a scope the user has not granted), NeedError (the exchange failed)
 */
export async function converse<T>(
  server: RemoteServer,
  caller: DownstreamCaller,
  prior: PriorDiscovery | undefined,
  signal: AbortSignal,
  work: (conversation: Conversation) => Promise<T>,
  kept?: KeptConnections,
): Promise<T> {
  const key = `${server.name}\u0000${caller.token.tenantId}/${caller.token.objectId}`;
  const taken = signal.aborted ? undefined : kept?.take(key);
  if (taken !== undefined) {
    try {
      return await conversation(server, caller, undefined, signal, work, kept, key, taken);
    } catch (error) {
      if (!(error instanceof ForgottenSession)) throw error;
    }
  }
  return conversation(server, caller, prior, signal, work, kept, key, undefined);
}

/** One conversation on `reused`, a kept client, or on a new one connected with `prior` when `reused` is undefined. */
async function conversation<T>(
  server: RemoteServer,
  caller: DownstreamCaller,
  prior: PriorDiscovery | undefined,
  signal: AbortSignal,
  work: (conversation: Conversation) => Promise<T>,
  kept: KeptConnections | undefined,
  key: string,
  reused: Connection | undefined,
): Promise<T> {
  const binding = newBinding(caller);
  const { guard } = binding;
  const onCallerAbort = (): void => guard.abort(signal.reason);
  if (signal.aborted) onCallerAbort();
  else signal.addEventListener("abort", onCallerAbort, { once: true });
  const connection = reused ?? newConnection(server);
  connection.binding = binding;
  connection.lastCaller = caller;
  const { client, transport } = connection;
  let keep = false;
  let forgotten = false;
  try {
    if (reused === undefined) await client.connect(transport, { signal: guard.signal, timeout: server.timeoutMs, ...(prior === undefined ? {} : { prior }) });
    const value = await work({
      client,
      signal: guard.signal,
      verdict: () => {
        const discover = client.getDiscoverResult();
        return client.getProtocolEra() === "modern" && discover !== undefined ? { kind: "modern", discover } : client.getProtocolEra() === "legacy" ? { kind: "legacy" } : undefined;
      },
    });
    keep = kept !== undefined && client.getProtocolEra() !== undefined && !guard.signal.aborted;
    return value;
  } catch (error) {
    // A server answers a session it no longer knows with 404 (the spec) or 400 (the SDK examples), before doing anything.
    forgotten = reused !== undefined && transport.sessionId !== undefined && !guard.signal.aborted && SdkHttpError.isInstance(error) && isForgottenSession(error as SdkHttpError);
    if (forgotten) throw new ForgottenSession();
    throw explain(server, binding.refused ?? error, signal);
  } finally {
    signal.removeEventListener("abort", onCallerAbort);
    // Ending a session is a request too: the binding goes only after it.
    if (!keep) await release(connection, !forgotten && !guard.signal.aborted);
    connection.binding = undefined;
    if (keep) kept!.give(key, connection, connection.connectedAt);
  }
}

function newBinding(caller: DownstreamCaller): Binding {
  return { caller, guard: new AbortController(), refused: undefined, refreshed: false };
}

/** A client for `server` and its transport, not yet connected, asking its binding for everything per conversation. */
function newConnection(server: RemoteServer): Connection {
  const scopes = server.scopes!;
  const bound = (): Binding => {
    // The client sends only inside a conversation, which binds it first.
    if (connection.binding === undefined) throw new Error("The gateway's MCP client sent a request outside a conversation.");
    return connection.binding;
  };
  // The refusal goes to the conversation that sent the request, even if the body is still streaming when another holds the client.
  const counted = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const sender = connection.binding;
    return boundedFetch(DOWNSTREAM_RESPONSE_LIMIT_BYTES, (error) => {
      if (sender === undefined) return;
      sender.refused ??= error;
      sender.guard.abort(error);
    })(input, init);
  };
  const connection: Connection = {
    client: new Client({ name: "mcp-functions-kit-gateway", version: "1" }, { versionNegotiation: { mode: "auto" } }),
    transport: new StreamableHTTPClientTransport(server.url, {
      authProvider: onBehalfOfProvider(scopes, bound),
      fetch: (input, init) => (opensStandaloneStream(init) ? Promise.resolve(new Response(null, { status: 405 })) : counted(input, init)),
    }),
    binding: undefined,
    lastCaller: undefined,
    connectedAt: Date.now(),
  };
  return connection;
}

/**
 * Whether the transport is opening a 2025-era server's standalone SSE
 * stream (a GET without `Last-Event-ID`), for messages outside any request.
 * The gateway relays nothing outside a call, so it answers 405 itself, as a
 * server without the stream does: no request, and no stream held open by a
 * kept session. A GET resuming a call's interrupted stream goes out.
 */
function opensStandaloneStream(init: RequestInit | undefined): boolean {
  return init?.method === "GET" && !new Headers(init.headers).has("last-event-id");
}

/** Whether an HTTP error on a kept session says the server no longer knows it: 404 (the spec), or 400 naming the session (the SDK examples). */
function isForgottenSession(error: SdkHttpError): boolean {
  const details = error as SdkHttpError & { status?: number; text?: unknown };
  return details.status === 404 || (details.status === 400 && /session/i.test(String(details.text ?? error.message)));
}

/** Closes a connection that is not kept; a 2025-era server's session, if it opened one, is ended first, politely and briefly, when `endSession` (not after a cut-short or forgotten session). */
async function release(connection: Connection, endSession: boolean): Promise<void> {
  const { client, transport } = connection;
  if (endSession && client.getProtocolEra() === "legacy" && transport.sessionId !== undefined) {
    await withDeadline(1000, () => new Error("session end timed out"), () => transport.terminateSession()).catch(() => undefined);
  }
  await client.close().catch(() => undefined);
}

/**
 * The token source the MCP transport asks before every request: an
 * On-Behalf-Of token for the server's scopes as the bound conversation's
 * caller (from the kit's cache after the first). When the server answers
 * 401 the transport asks for a fresh one once and retries once; a second
 * 401 in the same conversation fails it.
 */
function onBehalfOfProvider(scopes: readonly string[], bound: () => Binding): AuthProvider {
  return {
    token: async () => {
      const { caller, guard } = bound();
      return (await caller.onBehalfOf.exchange(caller.token, scopes, guard.signal)).accessToken;
    },
    onUnauthorized: async () => {
      const binding = bound();
      if (binding.refreshed) return;
      binding.refreshed = true;
      await binding.caller.onBehalfOf.invalidate(binding.caller.token, scopes);
    },
  };
}

/** `error` as what the user (and the log) should know, naming the server. */
function explain(server: RemoteServer, error: unknown, signal: AbortSignal): Error {
  const name = JSON.stringify(server.name);
  // What the kit itself decided (a need, a step-up) passes as it is.
  if (error instanceof NeedError || error instanceof DownstreamFailure) return error;
  if (error instanceof ResponseTooLargeError) {
    return new DownstreamFailure(server.name, "too_large", `The remote server ${name} sent a response larger than ${Math.round(error.limitBytes / (1024 * 1024))} MiB, which this server refuses.`, { cause: error });
  }
  if (signal.aborted) return new DownstreamFailure(server.name, "aborted", `The call to the remote server ${name} was cancelled.`, { cause: error });
  if (InsufficientScopeError.isInstance(error)) return insufficientScope(server, (error as InsufficientScopeError).requiredScope);
  if (UnauthorizedError.isInstance(error) || (SdkHttpError.isInstance(error) && (error as SdkHttpError).status === 401)) {
    return new DownstreamFailure(
      server.name,
      "refused_token",
      `The remote server ${name} refused the token this server obtained for you, even after a fresh one (HTTP 401). Its operator should check that it accepts Entra tokens for ${resourceName(server)}.`,
      { cause: error },
    );
  }
  if (SdkHttpError.isInstance(error)) {
    const status = (error as SdkHttpError).status;
    if (status === 403) return new DownstreamFailure(server.name, "forbidden", `The remote server ${name} refused the call (HTTP 403).`, { cause: error });
    return new DownstreamFailure(server.name, "http_error", `The remote server ${name} answered HTTP ${status}; try again later.`, { cause: error });
  }
  if (SdkError.isInstance(error) && (error as SdkError).code === SdkErrorCode.RequestTimeout) {
    return new DownstreamFailure(server.name, "timeout", `The remote server ${name} did not answer in time; try again later.`, { cause: error });
  }
  if (ProtocolError.isInstance(error)) {
    const message = cleanMessage(String((error as ProtocolError).message));
    return new DownstreamFailure(server.name, "error_response", `The remote server ${name} refused the request: ${message}`, { cause: error });
  }
  if (isNetworkFailure(error)) {
    return new DownstreamFailure(server.name, "unreachable", `The remote server ${name} could not be reached; try again later.`, { cause: error });
  }
  return new DownstreamFailure(server.name, "invalid", `The remote server ${name} sent an answer that is not valid MCP.`, { cause: error });
}

/** A 403 `insufficient_scope`: the user must grant more. The scopes are given in full form, every one the call needs. */
function insufficientScope(server: RemoteServer, required: string | undefined): Error {
  const resource = resourceName(server);
  const missing = (required ?? "")
    .split(/\s+/)
    .filter((scope) => /^[\x21-\x7e]{1,200}$/.test(scope))
    .map((scope) => (scope.includes("://") ? scope : `${resource}/${scope}`));
  const needed = [...new Set([...(server.scopes ?? []), ...missing])];
  const named = missing.length === 0 ? "a permission you have not granted" : `the permission${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
  return new StepUpRequiredError(`The remote server ${JSON.stringify(server.name)} needs ${named}. Sign in to this server again to grant it, or ask an administrator to.`, {
    reason: "insufficient_scope",
    scopes: needed,
  });
}

/** The API a server's scopes belong to (`api://contoso-crm`). */
function resourceName(server: RemoteServer): string {
  const first = server.scopes?.[0] ?? "";
  return first.slice(0, first.lastIndexOf("/"));
}

/** Whether `error`, or what caused it (the SDK wraps fetch's errors), is a failure to reach the server at all. */
function isNetworkFailure(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 6; current = (current as { cause?: unknown }).cause, depth++) {
    // fetch rejects with a TypeError("fetch failed") whose cause is the socket error.
    if (current instanceof TypeError && /fetch failed/i.test(current.message)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+)$/.test(code)) return true;
  }
  return false;
}
