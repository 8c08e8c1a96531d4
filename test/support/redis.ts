/**
 * A throwaway redis-server for tests (Debian package `redis-server`): one
 * process per call on a free loopback port, nothing persisted.
 */
import { startChildService, type ChildService } from "./child-service.js";

export interface RunningRedis {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  /** Stops the server; its keys are gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

/**
 * Starts redis-server.
 *
 * @example
 * const redis = await startRedis();
 * const store = new RedisTokenStore({ url: redis.url });
 * await redis.stop();
 */
export async function startRedis(): Promise<RunningRedis> {
  const service: ChildService = await startChildService({
    name: "redis-server",
    command: process.env.REDIS_SERVER ?? "redis-server",
    args: (port) => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"],
    ready: /Ready to accept connections/,
    installHint: "npm test finds or installs it; for a single test file: apt-get install -y redis-server, or set REDIS_SERVER",
  });
  return {
    port: service.port,
    url: `redis://127.0.0.1:${service.port}`,
    stop: () => service.stop(),
    restart: () => service.start(),
  };
}
