/**
 * The local stand-ins from the command line.
 *
 *   node dist/dev/cli.js [start] [--entra-port N] [--graph-port N] [--identity-port N] [--demo-port N]
 *       Runs the Entra stand-in, the fake Graph / orders API, the fake
 *       managed identity endpoint and the demo downstream MCP server with the
 *       default directory until Ctrl+C.
 *
 *   node dist/scripts/with-dev-tls.js node dist/dev/cli.js token <user> [--scope S] [--authority URL]
 *       Prints an access token for a dev user (from a running stand-in) as the last line.
 */
import { fetchDevAccessToken } from "./dev-token.js";
import { startDevServices } from "./services.js";

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

function portOption(args: readonly string[], name: string): number | undefined {
  const value = option(args, name);
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got '${value}'.`);
  return port;
}

async function start(args: readonly string[]): Promise<void> {
  const ports: Record<string, number> = {};
  for (const [flag, key] of [["--entra-port", "entra"], ["--graph-port", "graph"], ["--identity-port", "managedIdentity"], ["--demo-port", "demoMcp"]] as const) {
    const port = portOption(args, flag);
    if (port !== undefined) ports[key] = port;
  }
  const services = await startDevServices({ ports });
  console.log(`${services.summary()}\n\nPress Ctrl+C to stop.`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    services.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function token(args: readonly string[]): Promise<void> {
  const user = args[0];
  if (user === undefined || user.startsWith("--")) throw new Error("usage: cli.js token <user> [--scope S] [--authority URL]");
  const scope = option(args, "--scope");
  const authority = option(args, "--authority");
  console.log(await fetchDevAccessToken({ user, ...(scope === undefined ? {} : { scope }), ...(authority === undefined ? {} : { authority }) }));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "token") return token(rest);
  if (command === undefined || command === "start") return start(rest);
  if (command.startsWith("--")) return start([command, ...rest]);
  throw new Error(`Unknown command '${command}'. Use 'start' or 'token <user>'.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
