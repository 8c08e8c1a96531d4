/**
 * Fixtures for OBO cache tests: a movable clock, assertion- and token-shaped
 * strings that say whose they are, and an in-memory shared store whose
 * failures tests switch on and off.
 */
import { randomBytes } from "node:crypto";
import type { SharedTokenStore, StoredValue } from "../../lib/cache/index.js";

/** A clock tests move by hand. Starts at the real time so stores with their own clocks agree. */
export class ManualClock {
  #now: number;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  readonly now = (): number => this.#now;
  advance(ms: number): void {
    this.#now += ms;
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A JWT-shaped assertion for `user`, unique per call, about 1 KB like a real Entra token. */
export function fakeAssertion(user: string, expiresOn: number = Date.now() + 3600_000): string {
  const header = base64url({ alg: "RS256", typ: "JWT", kid: "test" });
  const payload = base64url({ aud: "api://kit", oid: user, exp: Math.floor(expiresOn / 1000), nonce: randomBytes(16).toString("hex"), pad: "x".repeat(600) });
  return `${header}.${payload}.${randomBytes(256).toString("base64url")}`;
}

/** An access token that says whose it is, `bytes` long in total (default ~2.5 KB, a typical Graph token). */
export function fakeAccessToken(user: string, bytes = 2500): string {
  const head = `eyJ0eXAiOiJKV1QifQ.obo-for-${user}-${randomBytes(8).toString("hex")}.`;
  return head + "s".repeat(Math.max(0, bytes - head.length));
}

/** The user an access token from {@link fakeAccessToken} was made for. */
export function userOf(accessToken: string): string | undefined {
  return /\.obo-for-(.+)-[0-9a-f]{16}\./.exec(accessToken)?.[1];
}

/** A {@link SharedTokenStore} in a Map, with switchable failures; counts calls. */
export class FakeSharedStore implements SharedTokenStore {
  readonly kind = "fake";
  readonly values = new Map<string, StoredValue>();
  /** When set, every call throws it. */
  failure: Error | undefined;
  /** When true, every call waits forever. */
  hang = false;
  calls = 0;
  closed = false;

  async get(id: string): Promise<StoredValue | undefined> {
    await this.#enter();
    return this.values.get(id);
  }

  async putIfAbsent(id: string, value: StoredValue): Promise<boolean> {
    await this.#enter();
    if (this.values.has(id)) return false;
    this.values.set(id, value);
    return true;
  }

  async delete(id: string): Promise<void> {
    await this.#enter();
    this.values.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async #enter(): Promise<void> {
    this.calls += 1;
    if (this.hang) await new Promise(() => undefined);
    if (this.failure !== undefined) throw this.failure;
  }
}
