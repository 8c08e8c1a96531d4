/**
 * A second host process for OBO cache tests: builds the cache from its own
 * environment (OBO_CACHE, REDIS_URL, OBO_CACHE_CONNECTION_STRING…) exactly as
 * the app would, asks it once for a token, and prints what happened as JSON.
 *
 * Input on stdin: {"assertion": "...", "scopes": [...], "assertionExpiresOn": <ms>}.
 * Output on stdout: {"source": "memory" | "shared" | "acquired", "accessToken": "..."}.
 */
import { createOboTokenCache } from "../../lib/cache/index.js";
import { loadConfig } from "../../lib/config.js";
import { consoleSink, createLogger } from "../../lib/log.js";

interface PeerRequest {
  readonly assertion: string;
  readonly scopes: string[];
  readonly assertionExpiresOn: number;
}

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += String(chunk);
  const request = JSON.parse(input) as PeerRequest;
  const config = loadConfig(process.env);
  const cache = createOboTokenCache(config.cache, { log: createLogger("warn", consoleSink) });
  const token = await cache.getOrAcquire(request.assertion, request.scopes, undefined, new Date(request.assertionExpiresOn), async () => ({
    accessToken: "acquired-by-the-peer",
    expiresOn: new Date(Date.now() + 3600_000),
  }));
  await cache.dispose();
  process.stdout.write(JSON.stringify({ source: token.source, accessToken: token.accessToken }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
