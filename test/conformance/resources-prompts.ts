/**
 * Resources, prompts and completions of the fixture pack. The kit has no
 * definition API for these (its API covers tools), so they are registered
 * against the SDK's `McpServer`, as a real server would in
 * `McpServerDefinition.extend`.
 */
import { completable, ResourceTemplate, type McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { PNG_1X1_BASE64 } from "./media.js";

/** Values offered for the first argument of `test_prompt_with_arguments`. */
const ARG1_SUGGESTIONS = ["paris", "park", "party", "test", "testing"];

/** Registers the fixture resources (two static, one template, one "watched"). */
export function registerResources(server: McpServer): void {
  server.registerResource(
    "static-text",
    "test://static-text",
    { title: "Static text", description: "A fixed text resource.", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: "This is the content of the static text resource." }] }),
  );

  server.registerResource(
    "static-binary",
    "test://static-binary",
    { title: "Static binary", description: "A fixed binary resource: a 1×1 PNG.", mimeType: "image/png" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG_1X1_BASE64 }] }),
  );

  server.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", {
      list: undefined,
      complete: { id: (value) => ["1", "42", "123"].filter((id) => id.startsWith(value)) },
    }),
    { title: "Data by id", description: "JSON data for any id, built from the URI.", mimeType: "application/json" },
    async (uri, variables) => {
      const id = String(variables["id"]);
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    },
  );

  server.registerResource(
    "watched-resource",
    "test://watched-resource",
    { title: "Watched resource", description: "A resource clients subscribe to in the 2025-era subscription scenarios.", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: "Watched resource content" }] }),
  );
}

/**
 * Answers the 2025-era `resources/subscribe` and `resources/unsubscribe`
 * requests with `{}`.
 *
 * A stateless server has no session to deliver `notifications/resources/updated`
 * on, so `resources.subscribe` is deliberately not advertised (the 2026-07-28
 * suite then treats `subscriptions/listen`, which the kit refuses, as not
 * applicable). The handlers only exist because the 2025-11-25 suite calls
 * the methods regardless of the capability; the SDK removes both methods on
 * 2026-07-28 requests.
 */
export function registerSubscriptionAcknowledgements(server: McpServer): void {
  server.server.setRequestHandler("resources/subscribe", async () => ({}));
  server.server.setRequestHandler("resources/unsubscribe", async () => ({}));
}

/** Registers the fixture prompts; `test_prompt_with_arguments` also serves completions. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "test_simple_prompt",
    { title: "Simple prompt", description: "A prompt without arguments." },
    async () => ({ messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }] }),
  );

  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      title: "Prompt with arguments",
      description: "A prompt built from two required arguments.",
      argsSchema: z.object({
        arg1: completable(z.string().describe("First test argument"), (value) => ARG1_SUGGESTIONS.filter((item) => item.startsWith(value))),
        arg2: z.string().describe("Second test argument"),
      }),
    },
    async ({ arg1, arg2 }) => ({ messages: [{ role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );

  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    {
      title: "Prompt with an embedded resource",
      description: "A prompt that embeds the resource named by its argument.",
      argsSchema: z.object({ resourceUri: z.string().describe("URI of the resource to embed") }),
    },
    async ({ resourceUri }) => ({
      messages: [
        { role: "user", content: { type: "resource", resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ],
    }),
  );

  server.registerPrompt(
    "test_prompt_with_image",
    { title: "Prompt with an image", description: "A prompt that carries an image." },
    async () => ({
      messages: [
        { role: "user", content: { type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ],
    }),
  );
}
