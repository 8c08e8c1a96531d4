/**
 * The baseline: the bare MCP SDK v2 (`createMcpHandler`) on `node:http`, with
 * the same echo tool as the kit's `tools/echo.ts` and no authentication.
 * Nothing here comes from the kit; only the benchmark's IPC channel is shared.
 *
 * `node baseline.js` builds the tool's zod schema in the server factory, as
 * the SDK's examples do (so once per request). `node baseline.js hoisted`
 * builds it once, at startup: the fastest way to use the bare SDK, shown
 * beside the baseline for context. `node baseline.js items` also serves the
 * resource and the prompt of the resources/read and prompts/get benchmark,
 * the prompt's schema built in the factory too. `node baseline.js list50`
 * serves the fifty tools of the tools/list benchmark (bench/fifty-tools.ts)
 * and nothing else, their schemas built once (the fast wiring the list budget
 * compares against); `list100` also serves the same fifty again under the
 * gateway's prefix (`far_tool_00`, …), what a kit with fifty tools of its own
 * and fifty behind its gateway lists.
 *
 * The SDK's Node adapter (`toNodeHandler` in `@modelcontextprotocol/node`) is
 * not a dependency of the project, so the few lines that turn a Node request
 * into a web `Request` and write the `Response` back are here: the body is
 * collected into one buffer, as a Node framework would do, and handed to the
 * SDK already parsed (`parsedBody`), the fastest way the SDK offers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createMcpHandler, McpServer, type CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import { FAR_PREFIX, LIST_TOOLS, listedToolAnswer } from "../fifty-tools.js";
import { reportStartFailure, serveBenchChannel } from "../ipc.js";
import { BENCH_PROMPT, BENCH_RESOURCE_URI, ECHO_MESSAGE } from "../protocol.js";

const echoInput = (): z.ZodObject<{ message: z.ZodString; times: z.ZodDefault<z.ZodNumber> }> =>
  z.object({
    message: z.string().min(1).max(1000).describe("Text to repeat"),
    times: z.number().int().min(1).max(5).default(1).describe("How many times to repeat it (1-5)"),
  });
const hoistedInput = process.argv.includes("hoisted") ? echoInput() : undefined;
const servesItems = process.argv.includes("items");
const listPrefixes = process.argv.includes("list100") ? ["", FAR_PREFIX] : process.argv.includes("list50") ? [""] : [];
/** The list part's tools, schemas built once at startup. */
const listedTools = listPrefixes.flatMap((prefix) => LIST_TOOLS.map((spec) => ({ spec, name: `${prefix}${spec.name}`, input: z.object(spec.shape()) })));

/** The proxy mode's client to the downstream, connected once at startup. */
const proxied = process.argv.includes("proxy") ? await connectedProxyClient().catch(reportStartFailure) : undefined;
const proxiedInput = z.object({});

async function connectedProxyClient(): Promise<Client> {
  const url = process.env["BENCH_PROXY_URL"];
  const token = process.env["BENCH_PROXY_TOKEN"];
  if (url === undefined || token === undefined) throw new Error("proxy mode needs BENCH_PROXY_URL and BENCH_PROXY_TOKEN");
  const client = new Client({ name: "bench-baseline-proxy", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** The proxy mode's one tool: the downstream's whoami, called through the kept client. */
function buildProxyServer(client: Client): McpServer {
  const server = new McpServer({ name: "bench-baseline", version: "1.0.0" }, { capabilities: { tools: { listChanged: false } } });
  server.registerTool("demo_whoami", { inputSchema: proxiedInput }, async (_args, ctx) => {
    const result = await client.callTool({ name: "whoami", arguments: {} }, { signal: ctx.mcpReq.signal });
    return { content: result.content, ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent }) } as CallToolResult;
  });
  return server;
}

/** Only the list part's tools (no echo): the same list the kit serves. */
function buildListServer(): McpServer {
  const server = new McpServer({ name: "bench-baseline", version: "1.0.0" }, { capabilities: { tools: { listChanged: false } } });
  for (const { spec, name, input } of listedTools) {
    server.registerTool(
      name,
      { title: spec.title, description: spec.description, inputSchema: input, annotations: { readOnlyHint: spec.readOnly, openWorldHint: false } },
      async () => ({ content: [{ type: "text", text: listedToolAnswer(name) }] }),
    );
  }
  return server;
}

/** The echo tool of tools/echo.ts, word for word, registered directly with the SDK. */
function buildServer(): McpServer {
  const server = new McpServer({ name: "bench-baseline", version: "1.0.0" }, { capabilities: { tools: { listChanged: false } } });
  server.registerTool(
    "echo",
    {
      title: "Echo",
      description: "Repeats the message back, optionally several times. Useful to check that the server answers.",
      inputSchema: hoistedInput ?? echoInput(),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ message, times }) => ({ content: [{ type: "text", text: Array.from({ length: times }, () => message).join("\n") }] }),
  );
  if (servesItems) {
    server.registerResource("note", BENCH_RESOURCE_URI, { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: ECHO_MESSAGE }] }));
    server.registerPrompt(BENCH_PROMPT, { description: "Greets someone", argsSchema: z.object({ name: z.string().describe("Who to greet") }) }, async ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}` } }],
    }));
  }
  return server;
}

const handler = createMcpHandler(() => (proxied !== undefined ? buildProxyServer(proxied) : listedTools.length > 0 ? buildListServer() : buildServer()), { legacy: "stateless" });

async function serve(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (let index = 0; index < incoming.rawHeaders.length; index += 2) headers.append(incoming.rawHeaders[index]!, incoming.rawHeaders[index + 1]!);
  const url = `http://${incoming.headers.host ?? "localhost"}${incoming.url ?? "/"}`;
  const method = incoming.method ?? "GET";
  let parsedBody: unknown;
  if (method === "POST" && chunks.length > 0) {
    try {
      parsedBody = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      outgoing.writeHead(400, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}');
      return;
    }
  }
  const response = await handler.fetch(new Request(url, { method, headers }), parsedBody === undefined ? {} : { parsedBody });
  outgoing.statusCode = response.status;
  for (const [name, value] of response.headers) outgoing.setHeader(name, value);
  if (response.body === null) {
    outgoing.end();
    return;
  }
  for await (const chunk of response.body) outgoing.write(chunk);
  outgoing.end();
}

try {
  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((error: unknown) => {
      console.error(error);
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
      else outgoing.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => serveBenchChannel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
} catch (error) {
  reportStartFailure(error);
}
