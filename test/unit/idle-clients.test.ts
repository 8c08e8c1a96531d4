/**
 * The gateway's idle clients (lib/gateway/idle-clients.ts): a client is
 * taken by one call at a time, only ever by its own key, and every client
 * let go of is closed.
 */
import assert from "node:assert/strict";
import { IdleClients, type IdleClientLimits } from "../../lib/gateway/idle-clients.js";
import { ManualClock } from "../support/obo-cache-fixtures.js";

function idleClients(limits: IdleClientLimits = { perKey: 2, total: 4, idleMs: 60_000 }): { idle: IdleClients<string>; closed: string[]; clock: ManualClock } {
  const closed: string[] = [];
  const clock = new ManualClock();
  return { idle: new IdleClients<string>(limits, (client) => closed.push(client), clock.now), closed, clock };
}

describe("gateway: idle clients kept between calls", () => {
  it("gives a client back only to its own key, and to one taker at a time", () => {
    const { idle, closed } = idleClients();
    idle.give("demo/alice", "alice-1");
    assert.equal(idle.take("demo/bob"), undefined);
    assert.equal(idle.take("other/alice"), undefined);
    assert.equal(idle.take("demo/alice"), "alice-1");
    assert.equal(idle.take("demo/alice"), undefined, "taken: no second taker gets it while it is out");
    assert.equal(idle.size, 0);
    assert.deepEqual(closed, []);
  });

  it("takes the most recently given back first", () => {
    const { idle } = idleClients();
    idle.give("demo/alice", "alice-1");
    idle.give("demo/alice", "alice-2");
    assert.equal(idle.take("demo/alice"), "alice-2");
    assert.equal(idle.take("demo/alice"), "alice-1");
  });

  it("closes a client idle for longer than idleMs instead of handing it out", () => {
    const { idle, closed, clock } = idleClients();
    idle.give("demo/alice", "alice-1");
    clock.advance(60_000);
    assert.equal(idle.take("demo/alice"), undefined);
    assert.deepEqual(closed, ["alice-1"]);
    assert.equal(idle.size, 0);
  });

  it("closes a client older than maxAgeMs instead of handing it out, however recently it was given back", () => {
    const { idle, closed, clock } = idleClients({ perKey: 2, total: 4, idleMs: 60_000, maxAgeMs: 90_000 });
    const bornAt = clock.now();
    clock.advance(80_000);
    idle.give("demo/alice", "alice-1", bornAt);
    assert.equal(idle.take("demo/alice"), "alice-1", "80 s old: still young enough");
    clock.advance(10_000);
    idle.give("demo/alice", "alice-1", bornAt);
    assert.equal(idle.take("demo/alice"), undefined);
    assert.deepEqual(closed, ["alice-1"]);
  });

  it("closes the expired clients of every key when any client is given back", () => {
    const { idle, closed, clock } = idleClients();
    idle.give("demo/alice", "alice-1");
    clock.advance(30_000);
    idle.give("demo/bob", "bob-1");
    clock.advance(30_000);
    idle.give("demo/carol", "carol-1");
    assert.deepEqual(closed, ["alice-1"]);
    assert.equal(idle.size, 2);
    assert.equal(idle.take("demo/bob"), "bob-1");
  });

  it("keeps at most perKey idle clients of one key, closing the one given back past it", () => {
    const { idle, closed } = idleClients();
    for (const client of ["alice-1", "alice-2", "alice-3"]) idle.give("demo/alice", client);
    assert.deepEqual(closed, ["alice-3"]);
    assert.equal(idle.size, 2);
  });

  it("keeps at most total idle clients, closing the longest idle first", () => {
    const { idle, closed, clock } = idleClients();
    for (const user of ["alice", "bob", "carol", "dave", "erin"]) {
      idle.give(`demo/${user}`, user);
      clock.advance(1);
    }
    assert.deepEqual(closed, ["alice"]);
    assert.equal(idle.size, 4);
    assert.equal(idle.take("demo/alice"), undefined);
    assert.equal(idle.take("demo/bob"), "bob");
  });

  it("closes exactly the longest idle client when the total is passed, even with others of its key idle", () => {
    const { idle, closed, clock } = idleClients({ perKey: 3, total: 3, idleMs: 60_000 });
    idle.give("demo/alice", "alice-1");
    clock.advance(1);
    idle.give("demo/alice", "alice-2");
    clock.advance(1);
    idle.give("demo/bob", "bob-1");
    clock.advance(1);
    idle.give("demo/bob", "bob-2");
    assert.deepEqual(closed, ["alice-1"]);
    assert.equal(idle.take("demo/alice"), "alice-2");
    assert.equal(idle.take("demo/alice"), undefined, "the closed one is never handed out");
  });

  it("closes every idle client on clear", () => {
    const { idle, closed } = idleClients();
    idle.give("demo/alice", "alice-1");
    idle.give("demo/bob", "bob-1");
    idle.clear();
    assert.deepEqual(closed.sort(), ["alice-1", "bob-1"]);
    assert.equal(idle.size, 0);
    assert.equal(idle.take("demo/alice"), undefined);
  });

  it("refuses limits that would keep nothing", () => {
    assert.throws(() => new IdleClients({ perKey: 0, total: 4, idleMs: 1 }, () => undefined), RangeError);
    assert.throws(() => new IdleClients({ perKey: 2, total: 1, idleMs: 1 }, () => undefined), RangeError);
    assert.throws(() => new IdleClients({ perKey: 1, total: 1, idleMs: 0 }, () => undefined), RangeError);
  });
});
