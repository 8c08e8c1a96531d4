/**
 * The fixture tools the kit's own tool API can express, written with
 * `defineTool` exactly as a tool in `tools/` would be, so the conformance run
 * goes through the kit's input validation, result shaping and error mapping.
 *
 * Names and results are the ones `@modelcontextprotocol/conformance`
 * expects; the texts it compares are kept verbatim.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { defineTool, ToolError, type AnyTool } from "../../lib/mcp/index.js";
import { PNG_1X1_BASE64, WAV_SILENCE_BASE64 } from "./media.js";

const simpleText = defineTool({
  name: "test_simple_text",
  description: "Returns one fixed line of text.",
  input: {},
  async run() {
    return "This is a simple text response for testing.";
  },
});

const imageContent = defineTool({
  name: "test_image_content",
  description: "Returns a 1×1 PNG as image content.",
  input: {},
  async run() {
    return { content: [{ type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" }] };
  },
});

const audioContent = defineTool({
  name: "test_audio_content",
  description: "Returns a short silent WAV as audio content.",
  input: {},
  async run() {
    return { content: [{ type: "audio", data: WAV_SILENCE_BASE64, mimeType: "audio/wav" }] };
  },
});

const embeddedResource = defineTool({
  name: "test_embedded_resource",
  description: "Returns a text resource embedded in the result.",
  input: {},
  async run() {
    return {
      content: [
        {
          type: "resource",
          resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." },
        },
      ],
    };
  },
});

const mixedContent = defineTool({
  name: "test_multiple_content_types",
  description: "Returns text, an image and an embedded JSON resource in one result.",
  input: {},
  async run() {
    return {
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" },
        {
          type: "resource",
          resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) },
        },
      ],
    };
  },
});

const errorHandling = defineTool({
  name: "test_error_handling",
  description: "Always fails, to show how a tool failure reaches the client.",
  input: {},
  async run(): Promise<never> {
    // A ToolError is the kit's way to say "show this message as is": the result carries isError: true.
    throw new ToolError("This tool intentionally returns an error for testing");
  },
});

const withProgress = defineTool({
  name: "test_tool_with_progress",
  description: "Reports progress at 0, 50 and 100 of 100, about 50 ms apart.",
  input: {},
  async run(_args, { progress, signal }) {
    for (const step of [0, 50, 100]) {
      await progress(step, 100, `Completed step ${step} of 100`);
      if (step !== 100) await sleep(50, undefined, { signal });
    }
    return "Progress reported at 0, 50 and 100 of 100.";
  },
});

/** Every fixture tool written with `defineTool`. */
export const kitTools: readonly AnyTool[] = [simpleText, imageContent, audioContent, embeddedResource, mixedContent, errorHandling, withProgress];
