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
 */
import { defineTool, obo } from "../../lib/mcp/index.js";
import echo from "../../tools/echo.js";
import { reportStartFailure } from "../ipc.js";
import { BENCH_DOWNSTREAM_SCOPE } from "../protocol.js";
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

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== "none" && mode !== "full") throw new Error("usage: kit.js none|full");
  const env = mode === "none" ? { ...process.env, AUTH_MODE: "none" } : process.env;
  await serveKit("bench-kit", [mode === "none" ? echo : echoWithObo], env);
}

main().catch(reportStartFailure);
