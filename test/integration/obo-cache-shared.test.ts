/**
 * The OBO cache over real shared stores: Azure Table Storage (Azurite) and
 * Redis (redis-server), each started for this run. The same behaviours are
 * pinned for both.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TableClient } from "@azure/data-tables";
import { createClient } from "redis";
import { OboTokenCache, RedisTokenStore, TableTokenStore, type OboToken, type SharedTokenStore } from "../../lib/cache/index.js";
import { CacheKeyDeriver, cacheContext } from "../../lib/cache/keys.js";
import { createLogger } from "../../lib/log.js";
import { startAzurite, type RunningAzurite } from "../support/azurite.js";
import { LogCapture } from "../support/log-capture.js";
import { ManualClock, fakeAccessToken, fakeAssertion, userOf } from "../support/obo-cache-fixtures.js";
import { startRedis, type RunningRedis } from "../support/redis.js";

const GRAPH = ["https://graph.microsoft.com/User.Read"];
const HOUR = 3600_000;
const TABLE = "obocache";

interface StoreOptions {
  readonly now?: () => number;
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

/** One backend under test: how to make stores over it, read it raw, and break it. */
interface Backend {
  readonly name: string;
  /** Environment a second host process needs to reach the same store. */
  readonly env: Record<string, string>;
  store(options?: StoreOptions): SharedTokenStore;
  /** Every stored record as text (keys, values, any other column), for "the store reveals nothing" checks. */
  dump(): Promise<string[]>;
  /** Copies the raw record under one lookup id to another. */
  copy(fromId: string, toId: string): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function redisBackend(): Promise<Backend> {
  const redis: RunningRedis = await startRedis();
  const raw = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
  raw.on("error", () => undefined);
  let rawOpen = false;
  const ensureRaw = async (): Promise<void> => {
    if (!rawOpen || !raw.isReady) {
      await raw.connect();
      rawOpen = true;
    }
  };
  return {
    name: "redis",
    env: { OBO_CACHE: "redis", REDIS_URL: redis.url },
    store: (options = {}) => new RedisTokenStore({ url: redis.url, ...options }),
    async dump() {
      await ensureRaw();
      const lines: string[] = [];
      for (const key of await raw.keys("*")) lines.push(`${key} ${(await raw.get(key)) ?? ""} pttl=${await raw.pTTL(key)}`);
      return lines;
    },
    async copy(fromId, toId) {
      await ensureRaw();
      const value = await raw.get(`mcpkit:obo:v1:${fromId}`);
      assert.ok(value !== null, "nothing to copy");
      await raw.set(`mcpkit:obo:v1:${toId}`, value, { expiration: { type: "PX", value: 60_000 } });
    },
    stop: () => redis.stop(),
    restart: () => redis.restart(),
    async close() {
      if (raw.isOpen) raw.destroy();
      await redis.stop();
    },
  };
}

async function tableBackend(): Promise<Backend> {
  const azurite: RunningAzurite = await startAzurite();
  const raw = TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true });
  return {
    name: "table",
    env: { OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: azurite.connectionString, OBO_CACHE_TABLE_NAME: TABLE },
    store: (options = {}) => new TableTokenStore({ connectionString: azurite.connectionString, tableName: TABLE, ...options }),
    async dump() {
      const lines: string[] = [];
      for await (const entity of raw.listEntities()) {
        const value = entity["value"];
        const bytes = value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0);
        lines.push(`${entity.partitionKey} ${entity.rowKey} ${entity["expiresOn"] instanceof Date ? entity["expiresOn"].toISOString() : String(entity["expiresOn"])} ${bytes.toString("base64")} ${bytes.toString("latin1")} ${JSON.stringify(Object.keys(entity))}`);
      }
      return lines;
    },
    async copy(fromId, toId) {
      const entity = await raw.getEntity<Record<string, unknown>>(fromId.slice(0, 2), fromId);
      await raw.upsertEntity({ partitionKey: toId.slice(0, 2), rowKey: toId, value: entity["value"], expiresOn: entity["expiresOn"] }, "Replace");
    },
    stop: () => azurite.stop(),
    restart: () => azurite.restart(),
    close: () => azurite.stop(),
  };
}

function tokenFor(user: string, now: number, lifetimeMs = HOUR): OboToken {
  return { accessToken: fakeAccessToken(user), expiresOn: new Date(now + lifetimeMs), scopes: GRAPH, tokenType: "Bearer" };
}

/** Runs the peer process with `env` and returns what it printed. */
async function askPeer(env: Record<string, string>, request: { assertion: string; scopes: string[]; assertionExpiresOn: number }): Promise<{ source: string; accessToken: string }> {
  const script = fileURLToPath(new URL("../support/obo-cache-peer.js", import.meta.url));
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, `peer failed: ${stderr}`);
  return JSON.parse(stdout) as { source: string; accessToken: string };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const [label, makeBackend] of [
  ["Redis (redis-server)", redisBackend],
  ["Azure Table Storage (Azurite)", tableBackend],
] as const) {
  describe(`OBO cache over ${label}`, function () {
    this.timeout(60_000);
    let backend: Backend;
    const caches: OboTokenCache[] = [];
    const track = (cache: OboTokenCache): OboTokenCache => {
      caches.push(cache);
      return cache;
    };

    before(async () => {
      backend = await makeBackend();
    });
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.dispose()));
    });
    after(async () => {
      await backend?.close();
    });

    it("lets a second instance reuse the first one's token without an OBO request", async () => {
      const first = track(new OboTokenCache({ shared: backend.store() }));
      const second = track(new OboTokenCache({ shared: backend.store() }));
      const assertion = fakeAssertion("alice");
      const exp = new Date(Date.now() + HOUR);
      let requests = 0;
      const acquire = async (): Promise<OboToken> => {
        requests += 1;
        return tokenFor("alice", Date.now());
      };
      const obtained = await first.getOrAcquire(assertion, GRAPH, undefined, exp, acquire);
      assert.equal(obtained.source, "acquired");
      const reused = await second.getOrAcquire(assertion, [...GRAPH, ...GRAPH], undefined, exp, acquire);
      assert.equal(reused.source, "shared");
      assert.equal(reused.accessToken, obtained.accessToken);
      assert.equal(reused.expiresOn.getTime(), obtained.expiresOn.getTime());
      assert.deepEqual(reused.scopes, GRAPH);
      assert.equal(requests, 1);
      assert.equal((await second.get(assertion, GRAPH))?.source, "memory");
    });

    it("lets a second host process reuse the token without an OBO request", async () => {
      const cache = track(new OboTokenCache({ shared: backend.store() }));
      const assertion = fakeAssertion("dora");
      const exp = Date.now() + HOUR;
      const token = tokenFor("dora", Date.now());
      await cache.set(assertion, GRAPH, undefined, token, new Date(exp));
      const peer = await askPeer(backend.env, { assertion, scopes: GRAPH, assertionExpiresOn: exp });
      assert.deepEqual(peer, { source: "shared", accessToken: token.accessToken });
    });

    it("stores neither the token, nor the assertion, nor anything naming the user", async () => {
      const cache = track(new OboTokenCache({ shared: backend.store() }));
      const assertion = fakeAssertion("erin-the-user");
      const token = tokenFor("erin-the-user", Date.now());
      await cache.set(assertion, GRAPH, undefined, token, new Date(Date.now() + HOUR));
      const dump = (await backend.dump()).join("\n");
      assert.ok(dump.length > 0);
      for (const secret of [token.accessToken, assertion]) {
        for (const form of [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex")]) {
          assert.ok(!dump.includes(form.slice(0, 24)), "a token or assertion is readable in the store");
          assert.ok(!dump.includes(form.slice(-24)), "a token or assertion is readable in the store");
        }
      }
      assert.ok(!dump.includes("erin-the-user"));
      assert.ok(!dump.includes("graph.microsoft.com"), "not even the scopes");
    });

    it("gives another assertion nothing, not even a value copied under its id", async () => {
      const writer = track(new OboTokenCache({ shared: backend.store() }));
      const logs = new LogCapture();
      const reader = track(new OboTokenCache({ shared: backend.store(), log: createLogger("info", logs.sink) }));
      const alice = fakeAssertion("alice");
      const mallory = fakeAssertion("mallory");
      await writer.set(alice, GRAPH, undefined, tokenFor("alice", Date.now()), new Date(Date.now() + HOUR));
      assert.equal(await reader.get(mallory, GRAPH), undefined);
      const keys = new CacheKeyDeriver();
      const context = cacheContext(GRAPH);
      await backend.copy(keys.lookupId(alice, context), keys.lookupId(mallory, context));
      assert.equal(await reader.get(mallory, GRAPH), undefined);
      assert.equal(logs.matching("obo_cache.shared_value_rejected").length, 1);
    });

    it("keeps exactly one whole value when writers race on one id", async () => {
      const stores = [backend.store(), backend.store(), backend.store()];
      try {
        for (let round = 0; round < 10; round += 1) {
          const id = `${round}`.padStart(2, "0") + "race".padEnd(62, "e");
          const values = stores.map((_, i) => ({ value: Buffer.from(`value-${round}-${i}`.repeat(50)), expiresOn: Date.now() + 60_000 }));
          const outcomes = await Promise.all(stores.map((store, i) => store.putIfAbsent(id, values[i]!)));
          assert.equal(outcomes.filter(Boolean).length, 1, `round ${round}: ${outcomes.join(",")}`);
          const winner = outcomes.indexOf(true);
          const stored = await stores[0]!.get(id);
          assert.deepEqual(Buffer.from(stored!.value), values[winner]!.value);
        }
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it("replaces an expired value, exactly once under a race", async function () {
      const clock = new ManualClock();
      const stores = [backend.store({ now: clock.now }), backend.store({ now: clock.now }), backend.store({ now: clock.now })];
      try {
        const id = "ff" + "expired".padEnd(62, "e");
        assert.equal(await stores[0]!.putIfAbsent(id, { value: Buffer.from("old"), expiresOn: Date.now() + 1500 }), true);
        if (backend.name === "redis") await new Promise((resolve) => setTimeout(resolve, 1600)); // Redis expires keys by its own clock
        clock.advance(1600);
        assert.equal(await stores[0]!.get(id), undefined, "an expired value is not returned");
        const fresh = stores.map((_, i) => ({ value: Buffer.from(`new-${i}`), expiresOn: clock.now() + 60_000 }));
        const outcomes = await Promise.all(stores.map((store, i) => store.putIfAbsent(id, fresh[i]!)));
        assert.equal(outcomes.filter(Boolean).length, 1, outcomes.join(","));
        assert.deepEqual(Buffer.from((await stores[1]!.get(id))!.value), fresh[outcomes.indexOf(true)]!.value);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it("serves nothing from the store past the assertion's expiry or the token's expiry minus the margin", async () => {
      const clock = new ManualClock();
      const writer = track(new OboTokenCache({ shared: backend.store(), now: clock.now }));
      const shortAssertion = fakeAssertion("alice");
      const longAssertion = fakeAssertion("bob");
      await writer.set(shortAssertion, GRAPH, undefined, tokenFor("alice", clock.now(), HOUR), new Date(clock.now() + 20 * 60_000));
      await writer.set(longAssertion, GRAPH, undefined, tokenFor("bob", clock.now(), HOUR), new Date(clock.now() + 2 * HOUR));

      // Fresh instances whose clocks have moved on; the store keeps its own (real) clock and still holds both rows.
      const at = (ms: number): OboTokenCache => {
        const reader = new ManualClock(clock.now());
        reader.advance(ms);
        return track(new OboTokenCache({ shared: backend.store(), now: reader.now }));
      };
      assert.ok(await at(20 * 60_000 - 1000).get(shortAssertion, GRAPH));
      assert.equal(await at(20 * 60_000).get(shortAssertion, GRAPH), undefined);
      assert.ok(await at(55 * 60_000 - 1000).get(longAssertion, GRAPH));
      assert.equal(await at(55 * 60_000).get(longAssertion, GRAPH), undefined);
    });

    it("gives the store a lifetime no longer than the entry's", async () => {
      const cache = track(new OboTokenCache({ shared: backend.store() }));
      const assertion = fakeAssertion("frank");
      const before = Date.now();
      await cache.set(assertion, GRAPH, undefined, tokenFor("frank", before, HOUR), new Date(before + 10 * 60_000));
      const id = new CacheKeyDeriver().lookupId(assertion, cacheContext(GRAPH));
      const line = (await backend.dump()).find((entry) => entry.includes(id));
      assert.ok(line !== undefined);
      if (backend.name === "redis") {
        const pttl = Number(/pttl=(\d+)/.exec(line)?.[1]);
        assert.ok(pttl > 9 * 60_000 && pttl <= 10 * 60_000, `PTTL ${pttl}`);
      } else {
        const expiresOn = Date.parse(line.split(" ")[2]!);
        assert.ok(expiresOn <= before + 10 * 60_000 + 1000 && expiresOn > before + 9 * 60_000, `expiresOn ${line.split(" ")[2]}`);
      }
    });

    it("misses for a different claims challenge", async () => {
      const writer = track(new OboTokenCache({ shared: backend.store() }));
      const reader = track(new OboTokenCache({ shared: backend.store() }));
      const assertion = fakeAssertion("gina");
      await writer.set(assertion, GRAPH, undefined, tokenFor("gina", Date.now()), new Date(Date.now() + HOUR));
      assert.equal(await reader.get(assertion, GRAPH, '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}'), undefined);
      assert.ok(await reader.get(assertion, GRAPH));
    });

    it("never hands one user's token to another under parallel calls from two instances", async () => {
      const instances = [track(new OboTokenCache({ shared: backend.store() })), track(new OboTokenCache({ shared: backend.store() }))];
      const users = ["alice", "bob"].map((name) => ({ name, assertion: fakeAssertion(name) }));
      let requests = 0;
      const calls: Promise<void>[] = [];
      for (let round = 0; round < 50; round += 1) {
        for (const user of users) {
          const cache = instances[(round + users.indexOf(user)) % 2]!;
          calls.push(
            cache
              .getOrAcquire(user.assertion, GRAPH, undefined, new Date(Date.now() + HOUR), async () => {
                requests += 1;
                return tokenFor(user.name, Date.now());
              })
              .then((token) => assert.equal(userOf(token.accessToken), user.name)),
            cache.get(user.assertion, GRAPH).then((token) => assert.ok(token === undefined || userOf(token.accessToken) === user.name)),
          );
        }
      }
      await Promise.all(calls);
      assert.ok(requests <= 4, `${requests} OBO requests for 2 users on 2 instances`);
    });

    it("keeps serving from memory while the store is down, warns once, and says when it is back", async function () {
      const logs = new LogCapture();
      const log = createLogger("info", logs.sink);
      const cache = track(new OboTokenCache({ shared: backend.store({ timeoutMs: 500, connectTimeoutMs: 1000 }), log, sharedRetryAfterMs: 300, sharedMaxRetryAfterMs: 600 }));
      const alice = fakeAssertion("alice");
      const exp = new Date(Date.now() + HOUR);
      const aliceToken = tokenFor("alice", Date.now());
      await cache.set(alice, GRAPH, undefined, aliceToken, exp);
      assert.equal(cache.stats.shared, "up");

      await backend.stop();
      let requests = 0;
      for (let i = 0; i < 30; i += 1) {
        assert.equal((await cache.get(alice, GRAPH))?.accessToken, aliceToken.accessToken);
        const user = fakeAssertion(`outage-${i}`);
        const token = await cache.getOrAcquire(user, GRAPH, undefined, exp, async () => {
          requests += 1;
          return tokenFor(`outage-${i}`, Date.now());
        });
        assert.equal(userOf(token.accessToken), `outage-${i}`);
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 350)); // let probes happen and fail
      }
      assert.equal(requests, 30);
      assert.equal(cache.stats.shared, "down");
      assert.equal(logs.matching("obo_cache.shared_unavailable").length, 1, logs.text());
      assert.equal(logs.matching("obo_cache.shared_unavailable")[0]?.level, "warn");
      assert.equal(logs.matching("obo_cache.shared_recovered").length, 0);

      await backend.restart();
      await waitFor(
        async () => {
          await cache.get(fakeAssertion("probe"), GRAPH);
          return cache.stats.shared === "up";
        },
        15_000,
        "the shared layer to recover",
      );
      assert.equal(logs.matching("obo_cache.shared_unavailable").length, 1, logs.text());
      assert.equal(logs.matching("obo_cache.shared_recovered").length, 1, logs.text());
      assert.equal(logs.matching("obo_cache.shared_recovered")[0]?.level, "info");

      // Back in business: what this instance writes now, another instance reads.
      const henry = fakeAssertion("henry");
      const henryToken = tokenFor("henry", Date.now());
      await cache.set(henry, GRAPH, undefined, henryToken, exp);
      const other = track(new OboTokenCache({ shared: backend.store() }));
      assert.equal((await other.get(henry, GRAPH))?.source, "shared");
      assert.ok(!logs.text().includes("obo-for-"), "no token in the log");
    });

    if (makeBackend === tableBackend) {
      it("sweeps rows that expired, and only those", async () => {
        const clock = new ManualClock();
        const store = backend.store({ now: clock.now }) as TableTokenStore;
        try {
          const live = "aa" + "live".padEnd(62, "l");
          const stale = ["ab", "ac", "ad"].map((prefix) => prefix + "stale".padEnd(62, "s"));
          for (const id of stale) await store.putIfAbsent(id, { value: Buffer.from("x"), expiresOn: clock.now() + 1000 });
          await store.putIfAbsent(live, { value: Buffer.from("y"), expiresOn: clock.now() + HOUR });
          clock.advance(2 * 60_000);
          assert.equal(await store.sweepExpired(), 3);
          const remaining = (await backend.dump()).join("\n");
          assert.ok(remaining.includes(live));
          for (const id of stale) assert.ok(!remaining.includes(id));
        } finally {
          await store.close();
        }
      });
    }
  });
}
