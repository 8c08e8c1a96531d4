/**
 * Failure switches: rules that make the stand-in answer the way Entra does
 * when things go wrong, for a matching subset of requests, the next N times
 * or until removed.
 *
 * Two moments matter. Transport-like faults (throttling, 5xx, delay, a
 * dropped connection) strike before the request is processed, so a failed
 * code redemption leaves the code unused, as with a real outage. Policy
 * faults (consent, MFA, an invalid grant) strike where Entra would decide
 * them: after the client and the grant were validated, before a token is issued.
 */
import type { EndpointName, GrantName } from "./activity.js";

export type Fault =
  /** AADSTS65001, `invalid_grant`, suberror `consent_required`. */
  | { readonly kind: "consent_required" }
  /** AADSTS50076 (default) or 50079, `interaction_required`, with a `claims` challenge. */
  | { readonly kind: "mfa_required"; readonly code?: 50076 | 50079; readonly claims?: string }
  /** AADSTS70008: the code or refresh token expired. */
  | { readonly kind: "invalid_grant" }
  /** HTTP 429 with `Retry-After` (default 5 seconds). */
  | { readonly kind: "throttled"; readonly retryAfterSeconds?: number }
  /** HTTP 500 (default) or 503, optionally with `Retry-After`. */
  | { readonly kind: "server_error"; readonly status?: 500 | 503; readonly retryAfterSeconds?: number }
  /** Waits, then answers normally. */
  | { readonly kind: "delay"; readonly ms: number }
  /** Closes the connection without answering (a network error for the client). */
  | { readonly kind: "drop" };

export type FaultKind = Fault["kind"];

/** Which requests a fault applies to; every field given must match. */
export interface FaultFilter {
  /** Default "token". "any" matches every endpoint. */
  readonly endpoint?: EndpointName | "any";
  /** Token endpoint only; "obo" is the on-behalf-of grant. */
  readonly grantType?: GrantName;
  /** Alias, upn or object id of the user the request is for (the assertion's user for OBO). */
  readonly user?: string;
  /** A requested scope (full string, case-insensitive) or the resource it names (identifier URI or client id). */
  readonly scope?: string;
  readonly clientId?: string;
  readonly tenant?: string;
  /** Fire this many times, then stop; default: until removed. */
  readonly times?: number;
}

export interface FaultRule extends FaultFilter {
  readonly fault: Fault;
}

/** A switch that was turned on. */
export interface FaultHandle {
  readonly id: number;
  readonly rule: FaultRule;
  /** How many requests it struck so far. */
  readonly hits: number;
  /** Fires no more. */
  remove(): void;
}

/** What a request looks like to the fault matcher. */
export interface FaultContext {
  readonly endpoint: EndpointName;
  readonly grantType?: GrantName;
  readonly tenant?: string;
  readonly clientId?: string;
  /** Aliases, upns, oids that identify the user; any may match. */
  readonly userKeys?: readonly string[];
  /** Requested scopes and the identifiers of the resources they name. */
  readonly scopeKeys?: readonly string[];
}

const TRANSPORT: ReadonlySet<FaultKind> = new Set(["throttled", "server_error", "delay", "drop"]);

/** Whether a fault strikes before processing (transport) or at issuance (policy). */
export function isTransportFault(fault: Fault): boolean {
  return TRANSPORT.has(fault.kind);
}

interface Entry {
  readonly id: number;
  readonly rule: FaultRule;
  hits: number;
  removed: boolean;
}

/** The set of failure switches currently on, and the matcher that fires them. */
export class FaultSwitches {
  #entries: Entry[] = [];
  #nextId = 1;

  /** Turns a switch on. */
  add(rule: FaultRule): FaultHandle {
    const entry: Entry = { id: this.#nextId++, rule, hits: 0, removed: false };
    this.#entries.push(entry);
    return {
      id: entry.id,
      rule,
      get hits() {
        return entry.hits;
      },
      remove: () => {
        entry.removed = true;
        this.#entries = this.#entries.filter((candidate) => candidate !== entry);
      },
    };
  }

  /** Turns every switch off. */
  clear(): void {
    for (const entry of this.#entries) entry.removed = true;
    this.#entries = [];
  }

  /** Switches still on. */
  active(): FaultRule[] {
    return this.#entries.map((entry) => entry.rule);
  }

  /**
   * Faults striking this request at one moment (`transport` or `policy`),
   * in the order they were added; each counts one hit and uses up one of its `times`.
   */
  take(context: FaultContext, moment: "transport" | "policy"): Fault[] {
    const struck: Fault[] = [];
    for (const entry of [...this.#entries]) {
      if (entry.removed || isTransportFault(entry.rule.fault) !== (moment === "transport")) continue;
      if (!matches(entry.rule, context)) continue;
      entry.hits++;
      struck.push(entry.rule.fault);
      if (entry.rule.times !== undefined && entry.hits >= entry.rule.times) {
        entry.removed = true;
        this.#entries = this.#entries.filter((candidate) => candidate !== entry);
      }
    }
    return struck;
  }
}

function matches(rule: FaultFilter, context: FaultContext): boolean {
  const endpoint = rule.endpoint ?? "token";
  if (endpoint !== "any" && endpoint !== context.endpoint) return false;
  if (rule.grantType !== undefined && rule.grantType !== context.grantType) return false;
  if (rule.tenant !== undefined && rule.tenant.toLowerCase() !== context.tenant?.toLowerCase()) return false;
  if (rule.clientId !== undefined && rule.clientId.toLowerCase() !== context.clientId?.toLowerCase()) return false;
  if (rule.user !== undefined && !includesIgnoringCase(context.userKeys, rule.user)) return false;
  if (rule.scope !== undefined && !includesIgnoringCase(context.scopeKeys, rule.scope.replace(/\/+$/, ""))) return false;
  return true;
}

function includesIgnoringCase(values: readonly string[] | undefined, wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return (values ?? []).some((value) => value.toLowerCase() === lower);
}
