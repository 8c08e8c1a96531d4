import { z } from "zod";
import { defineTool } from "../lib/mcp/index.js";

/** Repeats a message: the smallest tool, showing input validation. */
export default defineTool({
  name: "echo",
  title: "Echo",
  description: "Repeats the message back, optionally several times. Useful to check that the server answers.",
  input: {
    message: z.string().min(1).max(1000).describe("Text to repeat"),
    times: z.number().int().min(1).max(5).default(1).describe("How many times to repeat it (1-5)"),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ message, times }) {
    return Array.from({ length: times }, () => message).join("\n");
  },
});
