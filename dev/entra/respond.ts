/**
 * Answering: Entra-shaped error responses, and the transport faults
 * (throttling, 5xx, delay, dropped connection) applied before an endpoint
 * does any work.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { dropConnection, sendJson, sleep } from "../http.js";
import type { RequestRecord } from "./activity.js";
import type { StandInContext } from "./context.js";
import { aadsts, entraErrorBody, EntraError } from "./errors.js";
import type { FaultContext } from "./faults.js";

/** The correlation id a client sent (msal sends `client-request-id`), echoed in errors as Entra does. */
export function clientCorrelationId(request: IncomingMessage): string | undefined {
  const header = request.headers["client-request-id"];
  return typeof header === "string" && header !== "" ? header : undefined;
}

/** Sends `error` as Entra's JSON error body, with `Retry-After` when it has one, and records it. */
export function sendEntraError(context: StandInContext, request: IncomingMessage, response: ServerResponse, error: EntraError, record: RequestRecord): void {
  record.status = error.status;
  record.error = `AADSTS${error.code}`;
  const headers: Record<string, string> = {};
  if (error.extras.retryAfterSeconds !== undefined) headers["Retry-After"] = String(error.extras.retryAfterSeconds);
  sendJson(response, error.status, entraErrorBody(error, context.origin(), context.clock(), clientCorrelationId(request)), headers);
}

/**
 * Applies the transport faults matching this request. Delays are waited out;
 * a throttle, server error or drop answers the request, and then this returns
 * true: the endpoint must do nothing more.
 */
export async function applyTransportFaults(
  context: StandInContext,
  faultContext: FaultContext,
  request: IncomingMessage,
  response: ServerResponse,
  record: RequestRecord,
): Promise<boolean> {
  const struck = context.faults.take(faultContext, "transport");
  for (const fault of struck) {
    if (fault.kind === "delay") {
      record.fault = record.fault === undefined ? "delay" : `${record.fault},delay`;
      await sleep(fault.ms);
    }
  }
  const terminal = struck.find((fault) => fault.kind !== "delay");
  if (terminal === undefined) return false;
  record.fault = record.fault === undefined ? terminal.kind : `${record.fault},${terminal.kind}`;
  switch (terminal.kind) {
    case "drop":
      record.status = 0;
      dropConnection(request, response);
      return true;
    case "throttled":
      sendEntraError(context, request, response, aadsts.throttled(terminal.retryAfterSeconds ?? 5), record);
      return true;
    case "server_error":
      sendEntraError(
        context,
        request,
        response,
        terminal.status === 503 ? aadsts.serviceUnavailable(terminal.retryAfterSeconds) : withRetryAfter(aadsts.serverError(), terminal.retryAfterSeconds),
        record,
      );
      return true;
    default:
      return false;
  }
}

function withRetryAfter(error: EntraError, retryAfterSeconds: number | undefined): EntraError {
  if (retryAfterSeconds === undefined) return error;
  return new EntraError(error.status, error.error, error.code, error.detail, { ...error.extras, retryAfterSeconds });
}
