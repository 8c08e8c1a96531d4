/**
 * The kit as the benchmark runs it: the function app's route table on the
 * local host, exactly as `npm start` serves it (local host → Functions
 * handler → adapter → `/mcp` endpoint → MCP SDK).
 *
 * `node kit.js none`: AUTH_MODE=none (the test-only configuration), serving
 * the shipped echo tool.
 * `node kit.js full`: the settings come from the environment (the benchmark
 * points them at the local Entra stand-in); every call carries an Entra
 * token that the gate validates, and the echo tool declares an `obo()` need,
 * served from the OBO cache once warm.
 * `node kit.js gateway`: as `full`, with the demo downstream MCP server at
 * BENCH_DEMO_MCP_URL behind the gateway (its scope declared, as production
 * should), so `demo_whoami` is a proxied call.
 * `node kit.js none|full items`: also the resource and the prompt of the
 * resources/read and prompts/get benchmark, with the same `obo()` need in
 * the full case.
 * `node kit.js full list50`: the fifty tools of the tools/list benchmark
 * (bench/fifty-tools.ts) instead of echo; `full list100`: the same fifty,
 * and the downstream at BENCH_FAR_MCP_URL (a bare SDK serving them too)
 * behind the gateway, so that the kit lists a hundred, fifty of them from
 * the gateway's cached listing.
 * Telemetry follows the environment as in the function app (serve-kit.ts):
 * the benchmark's telemetry case sets an Application Insights connection
 * string.
 */
import { z } from "zod";
import { DEMO_MCP_SCOPE_URI } from "../../dev/defaults.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { definePrompt, defineResource, defineTool, obo, type AnyPrompt, type AnyResource, type AnyTool, type Needs } from "../../lib/mcp/index.js";
import echo from "../../tools/echo.js";
import { FAR_SERVER_NAME, LIST_TOOLS, listedToolAnswer } from "../fifty-tools.js";
import { reportStartFailure } from "../ipc.js";
import { BENCH_DOWNSTREAM_SCOPE, BENCH_PROMPT, BENCH_RESOURCE_URI, ECHO_MESSAGE } from "../protocol.js";
import { serveKit } from "./serve-kit.js";

/** The shipped echo tool with an On-Behalf-Of need: what an authenticated tool call costs the kit. */
const echoWithObo = defineTool({
  name: echo.name,
  ...(echo.title === undefined ? {} : { title: echo.title }),
  description: echo.description,
  input: echo.input,
  ...(echo.annotations === undefined ? {} : { annotations: echo.annotations }),
  needs: { graph: obo([BENCH_DOWNSTREAM_SCOPE]) },
  async run({ message, times }: { message: string; times: number }) {
    return Array.from({ length: times }, () => message).join("\n");
  },
});

/** The baseline's resource and prompt, as kit definitions; with `withObo`, each needs a downstream token first. */
function benchItems(withObo: boolean): { resources: AnyResource[]; prompts: AnyPrompt[] } {
  const needs: Needs = withObo ? { graph: obo([BENCH_DOWNSTREAM_SCOPE]) } : {};
  return {
    resources: [defineResource({ uri: BENCH_RESOURCE_URI, name: "note", mimeType: "text/plain", needs, read: async () => ECHO_MESSAGE })],
    prompts: [
      definePrompt({
        name: BENCH_PROMPT,
        description: "Greets someone",
        arguments: { name: z.string().describe("Who to greet") },
        needs,
        get: async ({ name }) => `Say hello to ${name}`,
      }),
    ],
  };
}

/** The list part's fifty tools, as kit definitions of the same specs the bare SDK registers (built only in the list modes: the cold start times `full`). */
const listedTools = (): AnyTool[] =>
  LIST_TOOLS.map((spec) =>
    defineTool({
      name: spec.name,
      title: spec.title,
      description: spec.description,
      input: spec.shape(),
      annotations: { readOnlyHint: spec.readOnly, openWorldHint: false },
      run: async () => listedToolAnswer(spec.name),
    }),
  );

/** A remote server at the URL `variable` names, its scope declared (as production should). */
function benchRemote(name: string, variable: string, env: NodeJS.ProcessEnv): ReturnType<typeof remoteServer> {
  const url = env[variable];
  if (url === undefined) throw new Error(`${variable} must name the downstream MCP server`);
  return remoteServer({ name, url, scopes: [DEMO_MCP_SCOPE_URI] });
}

async function main(): Promise<void> {
  const [mode, extra] = process.argv.slice(2);
  if ((mode !== "none" && mode !== "full" && mode !== "gateway") || (extra !== undefined && extra !== "items" && extra !== "list50" && extra !== "list100")) {
    throw new Error("usage: kit.js none|full|gateway [items|list50|list100]");
  }
  const env = mode === "none" ? { ...process.env, AUTH_MODE: "none" } : process.env;
  const remoteServers = [
    ...(mode === "gateway" ? [benchRemote("demo", "BENCH_DEMO_MCP_URL", env)] : []),
    ...(extra === "list100" ? [benchRemote(FAR_SERVER_NAME, "BENCH_FAR_MCP_URL", env)] : []),
  ];
  const items = extra === "items" ? benchItems(mode === "full") : {};
  const tools = extra === "list50" || extra === "list100" ? listedTools() : [mode === "none" ? echo : echoWithObo];
  await serveKit("bench-kit", tools, env, { ...items, remoteServers });
}

main().catch(reportStartFailure);
