/**
 * Refresh-token rotation with replay detection, for a facade that keeps no
 * database (OAuth 2.1 section 4.3.1; the security BCP, RFC 9700 section 4.14.2).
 *
 * Every refresh token the facade issues is single use. Its first use is
 * recorded in a store shared by every instance (the OBO cache's Table
 * Storage or Redis; this instance's memory when there is none), under an id
 * derived from the token, with the token's own expiry. A later use of the
 * same token is then one of two things:
 *
 * - **A repeat** within the grace window after the first use (two parallel
 *   refreshes by one client, or a retry after a lost response): it gets the
 *   very answer the first use got, the same access token and the same next
 *   refresh token, read from the store (encrypted under a key derived from
 *   the token, so the store alone reveals nothing). The family stays one
 *   chain, so whoever later uses that next token second is caught in turn.
 * - **A replay** after the window: the whole family (every refresh token
 *   descending from the same sign-in) goes on the deny-list, and the use is
 *   refused. Whoever holds a token of that family, the thief or the user,
 *   must sign in again.
 *
 * A refresh whose call to Entra fails gives its token back (the record is
 * deleted), so the client can retry with it. Authorization codes go through
 * the same ledger without a grace window: a code redeemed twice revokes the
 * family its first redemption started (RFC 6749 section 4.1.2). Concurrent uses on one instance
 * share one call (single flight); on different instances the later one waits
 * for the first one's answer in the store.
 *
 * The store failing is not "no replay": a refresh that cannot consult the
 * ledger is refused as temporarily unavailable, and a revocation that cannot
 * be recorded is not reported as done. See SEALED-FORMATS.md for the records.
 */
import { createHash, hkdfSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvelopeRejectedError, openBytes, sealBytes } from "../cache/envelope.js";
import { SharedLayerHealth, type StoreTicket } from "../cache/health.js";
import type { SharedTokenStore } from "../cache/shared-store.js";
import { SingleFlight } from "../cache/single-flight.js";
import type { Logger } from "../log.js";

/** Version tag of every id and key below; bump it to orphan all existing records. */
const DERIVATION = "mcp-functions-kit/oauth-refresh/v1";

/** The token response the facade answered a refresh with, as JSON. */
export type TokenResponseBody = Readonly<Record<string, unknown>>;

/** A refresh token as presented at /token, with what its seal said. */
export interface PresentedRefreshToken {
  /** Exactly as the client sent it. Never stored: only values derived from it are. */
  readonly value: string;
  /** Its sealed expiry, ms since the epoch: the used-marker lives as long. */
  readonly expiresOn: number;
  /** The family (one sign-in and everything refreshed from it). */
  readonly family: string;
}

/** What came of presenting a refresh token. */
export type Rotation =
  /** Answered: `repeated` when this is the first use's answer, handed out again within the grace window. */
  | { readonly outcome: "rotated"; readonly body: TokenResponseBody; readonly issuedAt: number; readonly repeated: boolean }
  /** Its family is on the deny-list (revoked, or caught replaying before). */
  | { readonly outcome: "revoked" }
  /** Used before, outside the grace window: its family has just been revoked. */
  | { readonly outcome: "replayed" };

/** The ledger's store cannot be reached: the facade must not act as if nothing were recorded. */
export class LedgerUnavailableError extends Error {
  readonly code = "OAUTH_LEDGER_UNAVAILABLE";
  constructor(options?: { cause?: unknown }) {
    super("The refresh-token ledger's store is unavailable", options);
    this.name = "LedgerUnavailableError";
  }
}

/** Settings of a {@link RefreshLedger}. */
export interface RefreshLedgerOptions {
  /** Where the records go: Table Storage or Redis when shared, this instance's memory otherwise. */
  readonly store: SharedTokenStore;
  /** How long after a token's first use another use counts as a repeat, not a replay, ms; 0: every second use is a replay. */
  readonly graceMs: number;
  /** How long a family stays on the deny-list, ms: at least the longest a refresh token can live. */
  readonly denyMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** Longest wait for the answer of a first use in flight on another instance, ms (default 12,000: Entra's 10-second limit and some). */
  readonly waitMs?: number;
  /** First pause between two looks at the store while waiting, ms (default 50, doubling up to 500). */
  readonly pollMs?: number;
}

/** How one use is judged. */
export interface RotateOptions {
  /**
   * false: no grace window for this value, every second use is a replay (an
   * authorization code, which RFC 6749 section 4.1.2 makes strictly single use).
   */
  readonly repeats?: boolean;
}

/** The ids and key one presented token maps to. */
interface TokenRecords {
  /** Names the used-marker. */
  readonly used: string;
  /** Names the first use's answer, kept for the grace window. */
  readonly answer: string;
  /** Encrypts that answer. */
  readonly answerKey: Buffer;
}

type Answer = { readonly body: TokenResponseBody; readonly issuedAt: number };

/** Refresh-token rotation and the family deny-list. See the module comment. */
export class RefreshLedger {
  readonly #store: SharedTokenStore;
  readonly #graceMs: number;
  readonly #denyMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #health: SharedLayerHealth;
  readonly #flights = new SingleFlight<Rotation>(1000);

  constructor(options: RefreshLedgerOptions) {
    if (!(options.graceMs >= 0) || !(options.denyMs > 0)) throw new RangeError("graceMs must be 0 or more and denyMs positive");
    this.#store = options.store;
    this.#graceMs = options.graceMs;
    this.#denyMs = options.denyMs;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#waitMs = options.waitMs ?? 12_000;
    this.#pollMs = options.pollMs ?? 50;
    this.#health = new SharedLayerHealth({
      log: options.log,
      store: options.store.kind,
      now: this.#now,
      eventPrefix: "oauth_ledger",
      whileDown: "refreshes and revocations are refused as temporarily unavailable",
    });
  }

  /** Where the records go ("table", "redis", "memory"). */
  get storeKind(): string {
    return this.#store.kind;
  }

  /**
   * Uses `token` once: runs `issue` (the call to Entra and the new sealed
   * token) on its first use, hands the same answer to a repeat within the
   * grace window, refuses a replay and revokes its family.
   *
   * @example
   * const rotation = await ledger.rotate({ value, expiresOn: grant.exp * 1000, family: grant.f }, (signal) => refreshAtEntra(signal), request.signal);
   * if (rotation.outcome !== "rotated") throw new OAuthFailure("invalid_grant", "...");
   * @throws LedgerUnavailableError when the store cannot be consulted; whatever `issue` throws.
   */
  rotate(token: PresentedRefreshToken, issue: (signal: AbortSignal) => Promise<TokenResponseBody>, signal?: AbortSignal, options: RotateOptions = {}): Promise<Rotation> {
    const records = recordsOf(token.value);
    const graceMs = options.repeats === false ? 0 : this.#graceMs;
    // Without a grace window every second use is a replay, parallel ones on this instance included.
    if (graceMs === 0) return this.#rotate(token, records, issue, signal ?? new AbortController().signal, 0);
    // Parallel uses of one token on this instance share one rotation.
    return this.#flights.run(records.used, (shared) => this.#rotate(token, records, issue, shared, graceMs), signal);
  }

  /**
   * Puts `family` on the deny-list: no refresh token of it is accepted again
   * until the entry expires, which is after every token of the family has.
   * @throws LedgerUnavailableError when the store cannot record it.
   */
  async revokeFamily(family: string): Promise<void> {
    const now = this.#now();
    await this.#call(() => this.#store.putIfAbsent(familyRecord(family), { value: instant(now), expiresOn: now + this.#denyMs }));
  }

  async #rotate(token: PresentedRefreshToken, records: TokenRecords, issue: (signal: AbortSignal) => Promise<TokenResponseBody>, signal: AbortSignal, graceMs: number): Promise<Rotation> {
    if ((await this.#call(() => this.#store.get(familyRecord(token.family)))) !== undefined) return { outcome: "revoked" };
    // A first use given back (its call to Entra failed) between our two looks lets us claim again; a few rounds at most.
    for (let round = 0; round < 3; round++) {
      const usedAt = this.#now();
      const claimed = await this.#call(() => this.#store.putIfAbsent(records.used, { value: instant(usedAt), expiresOn: token.expiresOn }));
      if (claimed) return this.#firstUse(records, usedAt, issue, signal, graceMs);
      const marker = await this.#call(() => this.#store.get(records.used));
      if (marker === undefined) continue;
      const firstUse = instantOf(marker.value);
      if (graceMs === 0 || firstUse === undefined || this.#now() - firstUse > graceMs) {
        await this.revokeFamily(token.family);
        this.#log.warn("oauth.refresh_replayed", { family: fingerprint(token.family), firstUsedSecondsAgo: firstUse === undefined ? undefined : Math.round((this.#now() - firstUse) / 1000) });
        return { outcome: "replayed" };
      }
      const answer = await this.#awaitAnswer(records, signal);
      if (answer === "given back") continue;
      if (answer !== undefined) return { outcome: "rotated", ...answer, repeated: true };
      // The first use neither answered nor gave the token back in time (its instance stopped, or it
      // could not record its answer): this use gets an answer of its own, a sibling in the same family.
      this.#log.warn("oauth.refresh_sibling_issued", { family: fingerprint(token.family) });
      return { outcome: "rotated", body: await issue(signal), issuedAt: this.#now(), repeated: false };
    }
    throw new LedgerUnavailableError();
  }

  async #firstUse(records: TokenRecords, usedAt: number, issue: (signal: AbortSignal) => Promise<TokenResponseBody>, signal: AbortSignal, graceMs: number): Promise<Rotation> {
    let body: TokenResponseBody;
    try {
      body = await issue(signal);
    } catch (error) {
      // Not answered, so not used: the client may try this token again.
      await this.#call(() => this.#store.delete(records.used)).catch(() => undefined);
      throw error;
    }
    const issuedAt = this.#now();
    if (graceMs > 0) {
      const sealed = sealBytes(records.answerKey, answerContext(records.answer), Buffer.from(JSON.stringify({ b: body, i: issuedAt, u: usedAt })));
      // The answer stands even if it cannot be kept for repeats: a repeat elsewhere then gets a sibling.
      await this.#call(() => this.#store.putIfAbsent(records.answer, { value: sealed, expiresOn: issuedAt + graceMs })).catch(() => undefined);
    }
    return { outcome: "rotated", body, issuedAt, repeated: false };
  }

  /** The first use's answer once it is in the store; "given back" when that use gave the token back; undefined after the wait. */
  async #awaitAnswer(records: TokenRecords, signal: AbortSignal): Promise<Answer | "given back" | undefined> {
    // Elapsed time, not the ledger's clock (which tests move by hand): this is how long a caller waits.
    const deadline = performance.now() + this.#waitMs;
    let pause = this.#pollMs;
    for (;;) {
      const stored = await this.#call(() => this.#store.get(records.answer));
      if (stored !== undefined) return this.#open(records, stored.value);
      if (performance.now() >= deadline) return undefined;
      if ((await this.#call(() => this.#store.get(records.used))) === undefined) return "given back";
      await sleep(Math.min(pause, Math.max(1, deadline - performance.now())), undefined, { signal });
      pause = Math.min(pause * 2, 500);
    }
  }

  #open(records: TokenRecords, sealed: Uint8Array): Answer | undefined {
    try {
      const parsed = JSON.parse(openBytes(records.answerKey, answerContext(records.answer), sealed).toString("utf8")) as { b?: unknown; i?: unknown };
      if (typeof parsed.b !== "object" || parsed.b === null || typeof parsed.i !== "number") throw new EnvelopeRejectedError("not an answer");
      return { body: parsed.b as TokenResponseBody, issuedAt: parsed.i };
    } catch (error) {
      this.#log.warn("oauth.refresh_answer_rejected", { store: this.#store.kind, error });
      return undefined;
    }
  }

  /** One store call, refused at once while an outage is open (fail closed), recorded for the outage logic. */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    const ticket: StoreTicket | undefined = this.#health.begin();
    if (ticket === undefined) throw new LedgerUnavailableError();
    try {
      const result = await work();
      this.#health.succeeded(ticket);
      return result;
    } catch (error) {
      this.#health.failed(ticket, error);
      throw new LedgerUnavailableError({ cause: error });
    }
  }
}

/**
 * A family id derived from a sealed value: from the authorization code a
 * sign-in's first tokens come from (so a replayed code finds the family it
 * started), and from a refresh token sealed before families existed (no
 * `f`, so a replay of it finds the family its successors were given).
 */
export function derivedFamilyId(sealed: string): string {
  return createHash("sha256").update(`${DERIVATION}/derived-family\0`).update(sealed).digest("base64url").slice(0, 22);
}

function recordsOf(token: string): TokenRecords {
  const derive = (label: string): Buffer => Buffer.from(hkdfSync("sha256", Buffer.from(token, "utf8"), DERIVATION, `${DERIVATION}/${label}`, 32));
  return { used: derive("used-id").toString("hex"), answer: derive("answer-id").toString("hex"), answerKey: derive("answer-key") };
}

function familyRecord(family: string): string {
  return createHash("sha256").update(`${DERIVATION}/family\0`).update(family).digest("hex");
}

/** A short, one-way name of a family for log lines: enough to correlate, nothing to use. */
function fingerprint(family: string): string {
  return familyRecord(family).slice(0, 12);
}

function answerContext(id: string): Buffer {
  return Buffer.from(`${DERIVATION}/answer\0${id}`, "utf8");
}

function instant(ms: number): Uint8Array {
  return Buffer.from(String(Math.floor(ms)), "ascii");
}

function instantOf(value: Uint8Array): number | undefined {
  const text = Buffer.from(value).toString("ascii");
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}
