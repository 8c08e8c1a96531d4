/**
 * The official `conformance authorization` command against the facade,
 * its browser step scripted. `npm run conformance` runs it after the two
 * server requirement sets; on its own:
 *
 *   node dist/scripts/with-dev-tls.js node dist/scripts/conformance-authorization.js
 *
 * (the wrapper makes this process trust the development certificate of the
 * Entra stand-in, which speaks HTTPS).
 *
 * It starts the Entra stand-in and the function app in proxy mode on the
 * local host, through the same route table and handlers Azure serves, and
 * runs the command (under Node 22, which it needs) once per way an MCP client
 * identifies itself to the facade:
 *
 * - `dcr`: a client registered first with POST /register, since the command
 *   does no registration of its own (it takes a `clientId` setting);
 * - `cimd`: a Client ID Metadata Document URL as the client id, the document
 *   served over HTTPS by a local publisher.
 *
 * The command's `authorization-code-grant` scenario is interactive: it listens
 * on http://127.0.0.1:<port>/callback, prints the authorization URL and waits
 * for a person to sign in with a browser. Here that person is scripted: when
 * the URL appears in the command's output, this script takes it through the
 * facade's consent page (Allow), the stand-in's sign-in (a dev user) and the
 * facade's callback, and delivers the resulting redirect to the command's
 * callback server, which then redeems the code at the facade's /token.
 *
 * Prints the checks passed per run and exits non-zero unless every check of
 * every scenario passed. The command's results (one checks.json per scenario),
 * its output, the settings it ran with and the kit's log go to
 * test-results/conformance/authorization/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../lib/config.js";
import { CimdServer, validDocument } from "../test/support/cimd-server.js";
import { startDefaultStandIn } from "../test/support/entra.js";
import { facadeBrowser, startProxyKit } from "../test/support/facade.js";
import { freePort, type RunningKit } from "../test/support/kit.js";
import { ensureNode22 } from "./node22.js";

/** Repository root: this file runs from dist/scripts/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RESULTS = join(ROOT, "test-results", "conformance", "authorization");
const SUITE_CLI = join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

/**
 * What every run must produce: each scenario of the command with all its
 * checks passing. Pinned, so a suite upgrade that adds, drops or renames a
 * scenario or a check shows up here instead of passing silently.
 */
const EXPECTED_CHECKS: Readonly<Record<string, readonly string[]>> = {
  "authorization-server-metadata-endpoint": ["authorization-server-metadata", "authorization-server-metadata-cimd"],
  "authorization-code-grant": ["authorization-code-grant"],
};
/** The dev user who signs in at the stand-in. */
const SIGN_IN_USER = "alice";
/** Bounds a hung run; a whole run takes about a second, and the command itself would wait 5 minutes for the browser. */
const RUN_TIMEOUT_MS = 60_000;

/** One way of identifying the client to the facade. */
interface ClientUnderTest {
  readonly label: "dcr" | "cimd";
  readonly description: string;
  /** The client id to give the command, for a client whose only redirect URI is `callbackUrl`. */
  clientId(callbackUrl: string): Promise<string>;
}

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

/** What one run of the command produced. */
interface RunOutcome {
  readonly client: ClientUnderTest;
  readonly exitCode: number;
  /** Checks per scenario, as the command wrote them. */
  readonly checks: ReadonlyMap<string, readonly Check[]>;
  /** What went wrong in the scripted browser step, if anything. */
  readonly browserError: string | undefined;
  readonly seconds: number;
  readonly logFile: string;
}

async function main(): Promise<number> {
  const started = performance.now();
  if (process.env["NODE_EXTRA_CA_CERTS"] === undefined || process.env["NODE_EXTRA_CA_CERTS"] === "") {
    throw new Error(
      "This process must trust the development certificate of the Entra stand-in: run it as `node dist/scripts/with-dev-tls.js node dist/scripts/conformance-authorization.js`.",
    );
  }
  const node22 = ensureNode22();
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });

  const standIn = await startDefaultStandIn();
  const documents = await CimdServer.start();
  let kit: RunningKit | undefined;
  const outcomes: RunOutcome[] = [];
  try {
    kit = await startProxyKit(standIn, { env: { OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: documents.hostPort } });
    console.log(`Facade at ${kit.baseUrl.origin} in front of the Entra stand-in at ${standIn.origin} (kit on Node ${process.versions.node}, suite on Node ${node22.version})`);
    for (const client of clientsUnderTest(kit, documents)) outcomes.push(await runCommand(node22.path, kit, client));
  } finally {
    if (kit !== undefined) writeFileSync(join(RESULTS, "kit.log"), `${kit.logs.text()}\n`);
    await kit?.close();
    await documents.close();
    await standIn.close();
  }

  console.log("");
  let ok = true;
  for (const outcome of outcomes) {
    const { passed, total, problems } = score(outcome);
    const met = problems.length === 0;
    ok &&= met;
    console.log(`authorization (${outcome.client.description}): ${passed}/${total} checks passed in ${outcome.seconds.toFixed(1)}s: ${met ? "OK" : "FAILED"}`);
    for (const problem of problems) console.log(`  ${problem}`);
    if (!met) console.log(`  the command exited with ${outcome.exitCode}; its full output: ${outcome.logFile}`);
  }
  console.log(`Authorization conformance ${ok ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)}s; results in ${RESULTS}`);
  return ok ? 0 : 1;
}

function clientsUnderTest(kit: RunningKit, documents: CimdServer): ClientUnderTest[] {
  return [
    {
      label: "dcr",
      description: "client registered by DCR",
      async clientId(callbackUrl) {
        const response = await fetch(new URL("/register", kit.baseUrl), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            client_name: "MCP conformance suite",
            redirect_uris: [callbackUrl],
            token_endpoint_auth_method: "none",
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
          }),
        });
        const body = (await response.json()) as { client_id?: unknown };
        if (response.status !== 201 || typeof body.client_id !== "string") throw new Error(`POST /register answered ${response.status}: ${JSON.stringify(body)}`);
        return body.client_id;
      },
    },
    {
      label: "cimd",
      description: "Client ID Metadata Document",
      async clientId(callbackUrl) {
        const path = "/conformance-client.json";
        documents.document(path, (self) => validDocument(self, { client_name: "MCP conformance suite (metadata document)", redirect_uris: [callbackUrl] }));
        return documents.url(path);
      },
    },
  ];
}

/** Runs the command once for `client`, playing the user in the browser when it asks for one. */
async function runCommand(node: string, kit: RunningKit, client: ClientUnderTest): Promise<RunOutcome> {
  const port = await freePort();
  const callbackUrl = `http://127.0.0.1:${port}/callback`;
  const outputDir = join(RESULTS, client.label);
  const logFile = join(RESULTS, `${client.label}.log`);
  const settingsFile = join(RESULTS, `${client.label}.settings.json`);
  // The settings file is the command's own format (see its --file option), kept with the results to show what ran.
  // The port goes on the command line too: the command lets its --port default (3000) override the file's.
  const settings = { url: kit.baseUrl.origin, clientId: await client.clientId(callbackUrl), resource: kit.mcpUrl.href, port };
  writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);

  console.log(`Running the authorization command with a ${client.description}…`);
  const started = performance.now();
  const log = createWriteStream(logFile);
  const child = spawn(node, [SUITE_CLI, "authorization", "--file", settingsFile, "--port", String(port), "--output-dir", outputDir], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  child.stderr.pipe(log, { end: false });
  const timer = setTimeout(() => {
    log.write(`\n[conformance-authorization] no result after ${RUN_TIMEOUT_MS} ms: stopping the command\n`);
    child.kill("SIGTERM");
  }, RUN_TIMEOUT_MS);

  const authorizeEndpoint = `${kit.baseUrl.origin}/authorize`;
  let browser: Promise<string | undefined> | undefined;
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    log.write(`${line}\n`);
    if (browser === undefined && line.startsWith(`${authorizeEndpoint}?`)) browser = playTheUser(kit, new URL(line), callbackUrl, log, child);
  }
  const exitCode = await new Promise<number>((done) => (child.exitCode !== null ? done(child.exitCode) : child.once("close", (code) => done(code ?? 1))));
  clearTimeout(timer);
  const browserError = browser === undefined ? "the command never printed an authorization URL" : await browser;
  await new Promise<void>((done) => log.end(done));
  return { client, exitCode, checks: readChecks(outputDir), browserError, seconds: (performance.now() - started) / 1000, logFile };
}

/**
 * The browser step: Allow on the facade's consent page, sign in as the dev
 * user at the stand-in, follow the facade's callback, then open the client's
 * redirect, which is the command's callback server. Resolves with what went
 * wrong, if anything; a failure stops the command rather than leaving it
 * waiting minutes for a callback that will not come.
 */
async function playTheUser(kit: RunningKit, authorizationUrl: URL, callbackUrl: string, log: WriteStream, child: ChildProcess): Promise<string | undefined> {
  try {
    let consentShown = false;
    const redirect = await facadeBrowser(kit, { user: SIGN_IN_USER, onConsentPage: () => (consentShown = true) })(authorizationUrl);
    if (!consentShown) throw new Error("the facade skipped its consent page for a client this browser never approved");
    if (!redirect.href.startsWith(`${callbackUrl}?`)) throw new Error(`the sign-in ended at ${redirect.href}, not at the client's redirect URI ${callbackUrl}`);
    log.write(`[conformance-authorization] consent approved and ${SIGN_IN_USER} signed in; delivering the redirect to the command's callback server\n`);
    const delivered = await deliver(redirect);
    if (delivered.status !== 200) throw new Error(`the command's callback server answered ${delivered.status}`);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.write(`[conformance-authorization] browser step failed: ${message}\n`);
    child.kill("SIGTERM");
    return message;
  }
}

/** GETs the redirect, retrying briefly: the command prints the URL before its callback server has finished binding. */
async function deliver(redirect: URL): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(redirect);
      await response.body?.cancel();
      return response;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

/** Checks per scenario, from the `authorization-server-<scenario>-<timestamp>/checks.json` folders the command writes. */
function readChecks(outputDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  if (!existsSync(outputDir)) return results;
  for (const entry of readdirSync(outputDir)) {
    const scenario = /^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry)?.[1];
    const checksFile = join(outputDir, entry, "checks.json");
    if (scenario === undefined || !existsSync(checksFile)) continue;
    results.set(scenario, JSON.parse(readFileSync(checksFile, "utf8")) as Check[]);
  }
  return results;
}

/** Checks passed out of the expected ones, and everything that keeps the run from passing. */
function score(outcome: RunOutcome): { passed: number; total: number; problems: string[] } {
  const problems: string[] = [];
  let passed = 0;
  let total = 0;
  for (const [scenario, expected] of Object.entries(EXPECTED_CHECKS)) {
    const checks = outcome.checks.get(scenario);
    if (checks === undefined) {
      problems.push(`${scenario}: did not run`);
      total += expected.length;
      continue;
    }
    for (const check of checks) {
      total++;
      if (check.status === "SUCCESS") passed++;
      else problems.push(`${scenario}: ${check.id} ${check.status}${check.errorMessage === undefined ? "" : ` (${check.errorMessage.slice(0, 200)})`}`);
    }
    const ids = checks.map((check) => check.id);
    for (const id of expected) if (!ids.includes(id)) problems.push(`${scenario}: check ${id} was not reported`);
    for (const id of ids) if (!expected.includes(id)) problems.push(`${scenario}: unexpected check ${id}; update EXPECTED_CHECKS after reviewing it`);
  }
  for (const scenario of outcome.checks.keys()) if (!(scenario in EXPECTED_CHECKS)) problems.push(`${scenario}: unexpected scenario; update EXPECTED_CHECKS after reviewing it`);
  if (outcome.browserError !== undefined) problems.push(`browser step: ${outcome.browserError}`);
  if (outcome.exitCode !== 0 && problems.length === 0) problems.push(`the command exited with ${outcome.exitCode}`);
  return { passed, total, problems };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
