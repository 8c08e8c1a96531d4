/**
 * On-Behalf-Of economy: how many token requests reach Entra for 1,000 tool
 * calls by 50 users, with one kit instance, with two instances that share
 * nothing, and with two instances sharing the Redis cache. The tool is the
 * full case's echo with an `obo()` need; the stand-in counts OBO grants.
 */
import type { BenchEntra } from "./entra.js";
import { startServer, type StartedServer } from "./ipc.js";
import { drive, keepAliveAgent } from "./load.js";
import { serverEntry } from "./paths.js";
import { echoCall, isEchoAnswer } from "./protocol.js";
import { startRedis, type RunningRedis } from "../test/support/redis.js";

export interface OboScenario {
  readonly name: string;
  readonly description: string;
  readonly calls: number;
  readonly users: number;
  readonly instances: number;
  /** OBO requests the stand-in answered during the scenario. */
  readonly oboRequests: number;
  /** What the design promises, for the table. */
  readonly expected: number | undefined;
}

export interface OboEconomyResult {
  readonly scenarios: readonly OboScenario[];
  /** Why the shared-cache scenarios did not run, when they did not. */
  readonly skipped?: string;
}

/**
 * Runs the scenarios; `calls` per phase by `users` distinct users, 25 at a time.
 * Users are taken from `firstUser` on, a fresh group per scenario, so that no
 * scenario finds another's tokens.
 */
export async function measureOboEconomy(entra: BenchEntra, calls: number, users: number, firstUser: number, log: (line: string) => void): Promise<OboEconomyResult> {
  const scenarios: OboScenario[] = [];
  let nextUser = firstUser;
  const group = async (): Promise<string[]> => {
    const tokens = await entra.tokens(nextUser, users);
    nextUser += users;
    return tokens;
  };
  const callsTo = async (servers: readonly StartedServer[], tokens: readonly string[]): Promise<number> => {
    const before = entra.oboRequests();
    await Promise.all(
      servers.map((server, serverIndex) => {
        const agent = keepAliveAgent(25);
        const share = Math.ceil(calls / servers.length);
        const target = {
          url: server.url,
          request: echoCall("2026-07-28"),
          // Every user calls every instance; the second instance starts halfway down the list, as a load balancer spreads users.
          headersFor: (index: number) => ({ authorization: `Bearer ${tokens[(index + serverIndex * Math.floor(tokens.length / servers.length)) % tokens.length]}` }),
          isSuccess: isEchoAnswer,
        };
        return drive(target, agent, share, 25).finally(() => agent.destroy());
      }),
    );
    return entra.oboRequests() - before;
  };
  const kit = (name: string, env: Record<string, string> = {}): Promise<StartedServer> =>
    startServer({ name, entry: serverEntry("kit"), args: ["full"], env: { ...entra.kitEnv, ...env } });

  {
    const server = await kit("kit (memory cache)");
    try {
      scenarios.push({
        name: "one-instance",
        description: "one instance, memory cache",
        calls,
        users,
        instances: 1,
        oboRequests: await callsTo([server], await group()),
        expected: users,
      });
    } finally {
      await server.stop();
    }
  }
  {
    const servers = [await kit("kit A (memory cache)"), await kit("kit B (memory cache)")];
    try {
      scenarios.push({
        name: "two-instances-unshared",
        description: "two instances, memory caches only, calls alternating between them",
        calls,
        users,
        instances: 2,
        oboRequests: await callsTo(servers, await group()),
        expected: undefined,
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  log(`  OBO economy: memory-only scenarios done`);

  let redis: RunningRedis;
  try {
    redis = await startRedis();
  } catch (error) {
    return { scenarios, skipped: `redis-server could not be started (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` };
  }
  try {
    const shared = { OBO_CACHE: "redis", REDIS_URL: redis.url };
    const servers = [await kit("kit A (Redis)", shared), await kit("kit B (Redis)", shared)];
    try {
      const tokens = await group();
      scenarios.push({
        name: "shared-first-instance",
        description: "two instances sharing Redis: all calls to the first",
        calls,
        users,
        instances: 2,
        oboRequests: await callsTo([servers[0]!], tokens),
        expected: users,
      });
      scenarios.push({
        name: "shared-second-instance",
        description: "then the same users' calls to the second instance",
        calls,
        users,
        instances: 2,
        oboRequests: await callsTo([servers[1]!], tokens),
        expected: 0,
      });
      scenarios.push({
        name: "shared-alternating",
        description: "two instances sharing Redis, new users, calls alternating between them",
        calls,
        users,
        instances: 2,
        oboRequests: await callsTo(servers, await group()),
        expected: users,
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  } finally {
    await redis.stop();
  }
  log(`  OBO economy: shared-cache scenarios done`);
  return { scenarios };
}
