/**
 * What the gateway tests add to the demo downstream (dev/demo-mcp): tools
 * that report progress, wait for their cancellation, return structured or
 * error results, need a scope the kit's token lacks, differ per user, or
 * carry text a client must not show as it is; a resource, a template and a
 * prompt.
 */
import type { McpServer, ServerContext } from "@modelcontextprotocol/server";
import { ResourceTemplate } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { DemoCaller } from "../../dev/demo-mcp/index.js";

/** What the tools observed, for assertions. */
export class DemoToolEvents {
  /** One entry per `wait` call: whether its signal aborted before it finished. */
  readonly waits: Array<{ readonly oid: string; aborted: boolean; finished: boolean }> = [];
  /** `count` calls wait here after their first progress notification, until a test releases them. */
  releaseCount: (() => void) | undefined;
  countGate: Promise<void> | undefined;

  /** Makes the next `count` call pause after its first progress notification until `release()`. */
  holdCount(): () => void {
    let release!: () => void;
    this.countGate = new Promise((resolve) => (release = resolve));
    return () => {
      this.countGate = undefined;
      release();
    };
  }
}

export const SPOOFED_TITLE = "Safe\u202Eelif eteled\u202C tool\u200B\u0007";
export const LONG_DESCRIPTION = "x".repeat(10_000);

/** Registers the test tools, resources and prompts on a demo server's per-request server. */
export function demoTestTools(events: DemoToolEvents): (server: McpServer, caller: DemoCaller) => void {
  return (server, caller) => {
    server.registerTool(
      "count",
      { description: "Counts to `to`, reporting progress at each step", inputSchema: z.object({ to: z.number().int().min(1).max(20) }) },
      async ({ to }, ctx: ServerContext) => {
        const progressToken = ctx.mcpReq._meta?.progressToken;
        for (let step = 1; step <= to; step++) {
          if (progressToken !== undefined) {
            await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken, progress: step, total: to, message: `step ${step}\u202E` } });
          }
          if (step === 1 && events.countGate !== undefined) await events.countGate;
        }
        return { content: [{ type: "text", text: `counted to ${to}` }] };
      },
    );
    server.registerTool("wait", { description: "Waits `ms` or until cancelled", inputSchema: z.object({ ms: z.number().int() }) }, async ({ ms }, ctx: ServerContext) => {
      const entry = { oid: caller.oid, aborted: false, finished: false };
      events.waits.push(entry);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        ctx.mcpReq.signal.addEventListener("abort", () => {
          entry.aborted = true;
          clearTimeout(timer);
          resolve();
        });
      });
      entry.finished = true;
      return { content: [{ type: "text", text: entry.aborted ? "cancelled" : "waited" }] };
    });
    server.registerTool(
      "structured",
      { description: "Returns structured content", outputSchema: z.object({ total: z.number(), items: z.array(z.object({ id: z.string() })) }), annotations: { idempotentHint: true, readOnlyHint: true } },
      async () => {
        const value = { total: 2, items: [{ id: "a" }, { id: "b" }] };
        return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value };
      },
    );
    server.registerTool("failing", { description: "Always fails" }, async () => ({ content: [{ type: "text", text: "the downstream says no" }], isError: true }));
    server.registerTool(
      "write_note",
      {
        description: "Needs Demo.Write",
        scopeChallenge: ({ authInfo }) => (authInfo?.scopes.includes("Demo.Write") === true ? undefined : { scopes: ["Demo.Read", "Demo.Write"], errorDescription: "Writing notes needs Demo.Write" }),
      },
      async () => ({ content: [{ type: "text", text: "written" }] }),
    );
    server.registerTool("link", { description: "Links to a note" }, async () => ({ content: [{ type: "resource_link", uri: "note://today", name: "today" }] }));
    server.registerTool("spoof", { title: SPOOFED_TITLE, description: LONG_DESCRIPTION }, async () => ({ content: [{ type: "text", text: "spoofed" }] }));
    // The SDK warns about the name on every request; the name is wrong on purpose.
    withoutWarnings(() => server.registerTool("bad name", { description: "A name no client can call" }, async () => ({ content: [{ type: "text", text: "bad" }] })));
    // A list that differs per user: each sees only a tool of their own.
    server.registerTool(caller.oid.startsWith("a11ce") ? "alice_notes" : "bob_notes", { description: "Notes of the caller" }, async () => ({ content: [{ type: "text", text: `notes of ${caller.oid}` }] }));

    server.registerResource("today", "note://today", { title: "Today's note", mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: `today, for ${caller.oid}` }] }));
    server.registerResource("note", new ResourceTemplate("note://{id}", { list: undefined }), { title: "A note by id", mimeType: "text/plain" }, async (uri, variables) => ({
      contents: [{ uri: uri.href, mimeType: "text/plain", text: `note ${String(variables["id"])}` }],
    }));
    server.registerPrompt("summarize", { title: "Summarize", description: "Summarizes a topic", argsSchema: z.object({ topic: z.string().describe("What to summarize") }) }, async ({ topic }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Summarize ${topic} for ${caller.oid}` } }],
    }));
  };
}

function withoutWarnings(work: () => void): void {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    work();
  } finally {
    console.warn = warn;
  }
}
