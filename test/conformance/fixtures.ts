/**
 * The conformance fixture pack: every tool, resource, prompt and completion
 * `@modelcontextprotocol/conformance` looks for, as one `McpServerDefinition`
 * that the kit serves through its normal path (local host → Functions adapter
 * → `/mcp` endpoint → SDK handler).
 *
 * Tools the kit's tool API can express are `defineTool` tools (./tools.ts);
 * resources, the resource template, prompts and completions are
 * `defineResource` / `defineResourceTemplate` / `definePrompt` definitions
 * (./resources-prompts.ts). Everything else is registered in `extend` against
 * the SDK's `McpServer`: the tools and the prompt that ask the client for
 * input (./input-required.ts), the 2025-era subscription acknowledgements,
 * the tool that sends MCP log notifications (a kit tool's `log` writes to the
 * server log, not to the client) and one tool whose input schema is raw JSON
 * Schema 2020-12, which a zod shape cannot express (both below).
 *
 * Test-only: it is served with AUTH_MODE=none, which the kit refuses to start
 * in Azure.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createRequestStateCodec, fromJsonSchema, type McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpServerDefinition } from "../../lib/mcp/index.js";
import { registerInputRequiredFixtures, type FlowState } from "./input-required.js";
import { fixturePrompts, fixtureResources, registerSubscriptionAcknowledgements } from "./resources-prompts.js";
import { kitTools } from "./tools.js";

/** Options of {@link createFixturePack}. */
export interface FixturePackOptions {
  /**
   * HMAC key (32 bytes or more) that signs `requestState`. Default: a random
   * key per process, which is enough because one process serves the whole
   * conformance run; a scaled-out server needs one key shared by every
   * instance (from Key Vault, like the facade's sealing keys).
   */
  readonly requestStateKey?: Uint8Array;
}

/**
 * Builds the fixture pack.
 *
 * @example
 * // What test/conformance/server.ts hands to createEndpoints as the server to serve:
 * const server = createFixturePack();
 */
export function createFixturePack(options: FixturePackOptions = {}): McpServerDefinition {
  const codec = createRequestStateCodec<FlowState>({
    key: options.requestStateKey ?? randomBytes(32),
    ttlSeconds: 600,
    // A state minted for one kind of request is refused on another.
    bind: (ctx) => ctx.mcpReq.method,
  });
  return {
    name: "mcp-functions-kit-conformance",
    version: "1.0.0",
    instructions: "Fixtures for the MCP conformance suite. Not a real server.",
    tools: kitTools,
    resources: fixtureResources,
    prompts: fixturePrompts,
    // Resources, prompts and completions are advertised from the definitions (never with listChanged or
    // subscribe: nothing changes at run time and a stateless server cannot push updates); logging is for extend's tool.
    capabilities: { logging: {} },
    requestState: { verify: (state, ctx) => codec.verify(state, ctx) },
    extend(server) {
      registerSubscriptionAcknowledgements(server);
      registerLoggingTool(server);
      registerJsonSchemaTool(server);
      registerInputRequiredFixtures(server, codec);
    },
  };
}

/**
 * Three `notifications/message` at level info, about 50 ms apart, under the
 * two names the suite uses: `test_tool_with_logging` (2025-11-25) and
 * `test_logging_tool` (2026-07-28, where the suite checks that nothing is
 * sent when the request set no log level). `ctx.mcpReq.log` applies the level
 * the client chose: `logging/setLevel` on 2025-era requests, the `_meta` log
 * level on 2026-07-28 ones.
 */
function registerLoggingTool(server: McpServer): void {
  for (const name of ["test_tool_with_logging", "test_logging_tool"]) {
    server.registerTool(name, { description: "Sends three log notifications while it runs.", inputSchema: z.object({}) }, async (_args, ctx) => {
      const messages = ["Tool execution started", "Tool processing data", "Tool execution completed"];
      for (const [index, message] of messages.entries()) {
        if (index > 0) await sleep(50, undefined, { signal: ctx.mcpReq.signal });
        await ctx.mcpReq.log("info", message, "conformance-fixtures");
      }
      return { content: [{ type: "text", text: "Tool with logging executed successfully" }] };
    });
  }
}

/**
 * `json_schema_2020_12_tool`: an input schema using the 2020-12 keywords that
 * must reach clients unchanged (`$schema`, `$defs` with an `$anchor`,
 * `allOf`/`anyOf`, `if`/`then`/`else`, `additionalProperties`). The suite
 * runs this scenario without scoring it.
 */
function registerJsonSchemaTool(server: McpServer): void {
  const inputSchema = fromJsonSchema<Record<string, unknown>>({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    $defs: {
      address: { $anchor: "addressDef", type: "object", properties: { street: { type: "string" }, city: { type: "string" } } },
    },
    properties: {
      name: { type: "string" },
      address: { $ref: "#/$defs/address" },
      contactMethod: { type: "string", enum: ["phone", "email"] },
      phone: { type: "string" },
      email: { type: "string" },
    },
    // Some way to reach the person, and the one the chosen method needs.
    allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
    if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
    then: { required: ["phone"] },
    else: { required: ["email"] },
    additionalProperties: false,
  });
  server.registerTool(
    "json_schema_2020_12_tool",
    { description: "Takes contact details described with JSON Schema 2020-12 keywords.", inputSchema },
    async (args) => ({ content: [{ type: "text", text: `Contact details accepted: ${JSON.stringify(args)}` }] }),
  );
}
