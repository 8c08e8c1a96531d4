/**
 * Registers the kit's prompts on the per-request MCP server: arguments
 * validated by the SDK against the schema built once per prompt, `get`
 * wrapped by {@link invoke} (needs, deadline, errors), its result shaped and
 * size-checked, `requires` turned into the SDK's scope challenge.
 */
import type { GetPromptResult, McpServer, PromptMessage } from "@modelcontextprotocol/server";
import { checkSize, invoke, DEFAULT_HANDLER_TIMEOUT_MS, type Invocation } from "./invoke.js";
import type { AnyPrompt, PromptReturn } from "./prompt.js";
import { requirementsChallenge } from "./requirements.js";
import { DEFAULT_MAX_RESULT_BYTES } from "./resource.js";
import type { ServerAuth, ToolCallEnvironment } from "./server.js";

/** Registers one prompt. */
export function registerPrompt(server: McpServer, prompt: AnyPrompt, auth: ServerAuth, environment: ToolCallEnvironment): void {
  const scopeChallenge = prompt.requires === undefined || auth.resource === undefined ? undefined : requirementsChallenge(prompt.requires, auth.resource, "This prompt");
  const invocation: Invocation = { kind: "Prompt", name: prompt.name, needs: prompt.needs, requires: prompt.requires, timeoutMs: prompt.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS };
  const maxBytes = prompt.maxBytes ?? DEFAULT_MAX_RESULT_BYTES;
  server.registerPrompt(
    prompt.name,
    {
      ...(prompt.title === undefined ? {} : { title: prompt.title }),
      description: prompt.description,
      argsSchema: prompt.argumentsSchema,
      ...(scopeChallenge === undefined ? {} : { scopeChallenge }),
    },
    (args, ctx) =>
      invoke(invocation, ctx, auth, environment, async (context) => {
        const result = promptResultOf(await prompt.get(args as Record<string, unknown>, context));
        checkSize(invocation, context.log, result, maxBytes);
        return result;
      }),
  );
}

/** What `get` returned, as an MCP `prompts/get` result. */
export function promptResultOf(value: PromptReturn): GetPromptResult {
  if (typeof value === "string") return { messages: [{ role: "user", content: { type: "text", text: value } }] };
  if (Array.isArray(value)) return { messages: [...(value as readonly PromptMessage[])] };
  return value as GetPromptResult;
}
