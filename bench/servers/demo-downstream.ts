/**
 * The demo downstream MCP server (dev/demo-mcp) in a process of its own, as
 * the gateway part of the benchmark runs it: so that a call made directly
 * to it and a call through the kit both cross process boundaries, as they
 * do in production, rather than the direct one staying inside the
 * benchmark's process.
 *
 * It checks tokens against the Entra stand-in the benchmark runs
 * (BENCH_ENTRA_ORIGIN), by its published signing keys, and knows the
 * default directory's app registrations for the audience check.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import { DEV_APPLICATIONS, DEV_TENANT_ID, DEV_TENANTS } from "../../dev/defaults.js";
import { startDemoMcpServer } from "../../dev/demo-mcp/index.js";
import { Directory } from "../../dev/entra/directory.js";
import { TokenRejected } from "../../dev/entra/jwt.js";
import type { TokenAuthority } from "../../dev/graph/fake-graph.js";
import { reportStartFailure, serveBenchChannel } from "../ipc.js";

async function main(): Promise<void> {
  const origin = process.env["BENCH_ENTRA_ORIGIN"];
  if (origin === undefined) throw new Error("BENCH_ENTRA_ORIGIN must name the Entra stand-in");
  const keys = createRemoteJWKSet(new URL(`${origin}/${DEV_TENANT_ID}/discovery/v2.0/keys`));
  const authority: TokenAuthority = {
    directory: new Directory(DEV_TENANTS, DEV_APPLICATIONS),
    issuer: (tenant) => `${origin}/${tenant}/v2.0`,
    async verifyToken(token) {
      try {
        const { payload, protectedHeader } = await jwtVerify(token, keys);
        return { header: { ...protectedHeader }, claims: { ...payload }, graphStyle: false };
      } catch (error) {
        throw new TokenRejected("bad_signature", error instanceof Error ? error.message : String(error));
      }
    },
  };
  const demo = await startDemoMcpServer({ entra: authority, https: false, tenant: DEV_TENANT_ID });
  serveBenchChannel(demo.url.href);
}

main().catch(reportStartFailure);
