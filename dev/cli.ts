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
 *
 *   node dist/scripts/with-dev-tls.js node dist/dev/cli.js consent withdraw|grant <user> <scope>... [--client ID] [--entra URL]
 *       Withdraws (or grants) a dev user's consent to the kit app (or --client) for downstream scopes,
 *       at a running stand-in: the next On-Behalf-Of exchange for them fails with AADSTS65001 and the
 *       kit answers with a step-up. A bare scope name means Microsoft Graph.
 *
 *   node dist/scripts/with-dev-tls.js node dist/dev/cli.js mfa once|always|off <resource> [--entra URL]
 *       A Conditional Access policy at a running stand-in: tokens for <resource> need MFA
 *       (once: until the first one issued with MFA).
 */
import { DEV_PORTS, KIT_CLIENT_ID } from "./defaults.js";
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

/** The arguments that are not options (nor option values). */
function positional(args: readonly string[]): string[] {
  return args.filter((arg, index) => !arg.startsWith("--") && !(args[index - 1]?.startsWith("--") ?? false));
}

/** POSTs a switch to the running stand-in and prints what it confirmed. */
async function flipSwitch(args: readonly string[], name: string, body: Record<string, unknown>): Promise<void> {
  const origin = option(args, "--entra") ?? `https://localhost:${process.env["DEV_ENTRA_PORT"] || DEV_PORTS.entra}`;
  let response: Response;
  try {
    response = await fetch(new URL(`/_dev/${name}`, origin), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (cause) {
    throw new Error(`No stand-in answers at ${origin} (is npm start running? Another port: DEV_ENTRA_PORT or --entra).`, { cause });
  }
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`The stand-in refused: ${String(answer["error_description"] ?? response.status)}`);
  console.log(`${name}: ${JSON.stringify(answer)}`);
}

async function consent(args: readonly string[]): Promise<void> {
  const [action, user, ...scopes] = positional(args);
  if ((action !== "withdraw" && action !== "grant") || user === undefined || scopes.length === 0) {
    throw new Error("usage: cli.js consent withdraw|grant <user> <scope>... [--client ID] [--entra URL]");
  }
  await flipSwitch(args, "consent", { user, client: option(args, "--client") ?? KIT_CLIENT_ID, scopes, consent: action });
}

async function mfa(args: readonly string[]): Promise<void> {
  const [require, resource] = positional(args);
  if (!["once", "always", "off"].includes(require ?? "") || resource === undefined) throw new Error("usage: cli.js mfa once|always|off <resource> [--entra URL]");
  await flipSwitch(args, "mfa", { resource, require });
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "token") return token(rest);
  if (command === "consent") return consent(rest);
  if (command === "mfa") return mfa(rest);
  if (command === undefined || command === "start") return start(rest);
  if (command.startsWith("--")) return start([command, ...rest]);
  throw new Error(`Unknown command '${command}'. Use 'start', 'token <user>', 'consent ...' or 'mfa ...'.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
