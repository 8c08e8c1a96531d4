/**
 * Resources, prompts and completions of the fixture pack, written with the
 * kit's `defineResource`, `defineResourceTemplate` and `definePrompt`, as a
 * server in `tools/` would, so the conformance run goes through the kit's
 * handler wrapping (needs, deadlines, error mapping, size limits) and its own
 * `completion/complete`.
 *
 * Two things stay on the SDK's `McpServer` (`registerSubscriptionAcknowledgements`
 * below, and the prompt that asks the client for input, in input-required.ts):
 * the kit's API has no `inputRequired` results and no subscriptions.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { definePrompt, defineResource, defineResourceTemplate, type AnyPrompt, type AnyResource } from "../../lib/mcp/index.js";
import { PNG_1X1_BASE64 } from "./media.js";

/** Values offered for the first argument of `test_prompt_with_arguments`. */
const ARG1_SUGGESTIONS = ["paris", "park", "party", "test", "testing"];

/** The fixture resources: two static, one template, one "watched". */
export const fixtureResources: readonly AnyResource[] = [
  defineResource({
    uri: "test://static-text",
    name: "static-text",
    title: "Static text",
    description: "A fixed text resource.",
    mimeType: "text/plain",
    async read() {
      return "This is the content of the static text resource.";
    },
  }),
  defineResource({
    uri: "test://static-binary",
    name: "static-binary",
    title: "Static binary",
    description: "A fixed binary resource: a 1×1 PNG.",
    mimeType: "image/png",
    async read() {
      return Buffer.from(PNG_1X1_BASE64, "base64");
    },
  }),
  defineResourceTemplate({
    uriTemplate: "test://template/{id}/data",
    name: "template",
    title: "Data by id",
    description: "JSON data for any id, built from the URI.",
    mimeType: "application/json",
    complete: {
      async id(value) {
        return ["1", "42", "123"].filter((id) => id.startsWith(value));
      },
    },
    async read({ id }) {
      return { id, templateTest: true, data: `Data for ID: ${id}` };
    },
  }),
  defineResource({
    uri: "test://watched-resource",
    name: "watched-resource",
    title: "Watched resource",
    description: "A resource clients subscribe to in the 2025-era subscription scenarios.",
    mimeType: "text/plain",
    async read() {
      return "Watched resource content";
    },
  }),
];

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

/** The fixture prompts; `test_prompt_with_arguments` also serves completions. */
export const fixturePrompts: readonly AnyPrompt[] = [
  definePrompt({
    name: "test_simple_prompt",
    title: "Simple prompt",
    description: "A prompt without arguments.",
    arguments: {},
    async get() {
      return "This is a simple prompt for testing.";
    },
  }),
  definePrompt({
    name: "test_prompt_with_arguments",
    title: "Prompt with arguments",
    description: "A prompt built from two required arguments.",
    arguments: { arg1: z.string().describe("First test argument"), arg2: z.string().describe("Second test argument") },
    complete: {
      async arg1(value) {
        return ARG1_SUGGESTIONS.filter((item) => item.startsWith(value));
      },
    },
    async get({ arg1, arg2 }) {
      return `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`;
    },
  }),
  definePrompt({
    name: "test_prompt_with_embedded_resource",
    title: "Prompt with an embedded resource",
    description: "A prompt that embeds the resource named by its argument.",
    arguments: { resourceUri: z.string().describe("URI of the resource to embed") },
    async get({ resourceUri }) {
      return [
        { role: "user", content: { type: "resource", resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ];
    },
  }),
  definePrompt({
    name: "test_prompt_with_image",
    title: "Prompt with an image",
    description: "A prompt that carries an image.",
    arguments: {},
    async get() {
      return [
        { role: "user", content: { type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ];
    },
  }),
];
