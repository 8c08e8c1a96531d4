/**
 * The MCP Apps view of `graph_me` (the profile card): declared on the tool,
 * listed and readable as a `ui://` resource with the MCP Apps MIME type and
 * its CSP, and rendered in real Chromium inside a sandboxed frame, driven by
 * the official host side of the protocol (`AppBridge` from
 * `@modelcontextprotocol/ext-apps`) with the tool's real result, under the
 * Content-Security-Policy a host builds from the declared CSP.
 *
 * The screenshot goes to test-results/mcp-apps/ (not committed).
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AppBridge } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { McpUiResourceCsp } from "@modelcontextprotocol/ext-apps";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import type { Browser, Page } from "playwright-core";
import { APP_MIME_TYPE } from "../../lib/mcp/index.js";
import { launchChromium } from "../support/browser.js";
import type { ConnectedClient, ReadContent, ToolResult } from "../support/clients.js";
import { startOboPeers, type OboPeers } from "../support/downstream.js";
import { connectSignedIn, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";

const CARD_URI = "ui://graph-me/profile-card";
const SCREENSHOTS = join("test-results", "mcp-apps");

/**
 * The Content-Security-Policy a host puts on the view's frame, built from the
 * resource's declared `csp` as SEP-1865 prescribes (its restrictive default
 * plus the declared origins; frames and base URIs only as declared).
 */
function hostPolicyFor(csp: McpUiResourceCsp): string {
  const resources = (csp.resourceDomains ?? []).join(" ");
  const list = (values: readonly string[] | undefined, fallback: string): string => (values === undefined || values.length === 0 ? fallback : values.join(" "));
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${resources}`.trim(),
    `style-src 'self' 'unsafe-inline' ${resources}`.trim(),
    `img-src 'self' data: ${resources}`.trim(),
    `media-src 'self' data: ${resources}`.trim(),
    `font-src ${list(csp.resourceDomains, "'none'")}`,
    `connect-src ${list(csp.connectDomains, "'none'")}`,
    `frame-src ${list(csp.frameDomains, "'none'")}`,
    `base-uri ${list(csp.baseUriDomains, "'self'")}`,
    "object-src 'none'",
  ].join("; ");
}

function escapeAttribute(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
}

/** A transport for AppBridge: JSON-RPC to and from the view's frame in the page, through playwright. */
class FrameTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** Every message the view sent, for assertions. */
  readonly fromView: JSONRPCMessage[] = [];

  constructor(private readonly page: Page) {}

  /** Called by the page for each message the view posts to its parent. */
  receive(message: JSONRPCMessage): void {
    this.fromView.push(message);
    this.onmessage?.(message);
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    // Runs in the page; the test compiles without the DOM library, hence the narrow type.
    await this.page.evaluate((data) => {
      const page = globalThis as unknown as { document: { querySelector(selector: string): { contentWindow: { postMessage(message: unknown, origin: string): void } } } };
      page.document.querySelector("iframe").contentWindow.postMessage(data, "*");
    }, message);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

interface RenderedView {
  readonly page: Page;
  readonly transport: FrameTransport;
  readonly sizes: Array<{ width?: number; height?: number }>;
  readonly consoleErrors: string[];
  readonly requests: string[];
}

/**
 * Loads the view's HTML in a sandboxed frame (scripts only, an opaque origin)
 * of a blank host page, with the host's policy for the declared CSP, and has
 * AppBridge deliver `result` once the view says it is initialized.
 */
async function renderView(browser: Browser, html: string, csp: McpUiResourceCsp, result: ToolResult): Promise<RenderedView> {
  const page = await (await browser.newContext({ viewport: { width: 520, height: 360 } })).newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("request", (request) => requests.push(request.url()));
  const transport = new FrameTransport(page);
  await page.exposeFunction("toHost", (message: JSONRPCMessage) => transport.receive(message));
  const bridge = new AppBridge(null, { name: "kit-test-host", version: "1.0.0" }, {}, { hostContext: { theme: "light", displayMode: "inline", platform: "web" } });
  const sizes: Array<{ width?: number; height?: number }> = [];
  bridge.onsizechange = (size) => sizes.push(size);
  const delivered = new Promise<void>((resolve, reject) => {
    bridge.oninitialized = () => {
      bridge
        .sendToolInput({ arguments: {} })
        .then(() => bridge.sendToolResult(result as Parameters<AppBridge["sendToolResult"]>[0]))
        .then(resolve, reject);
    };
  });
  await bridge.connect(transport);
  const framed = html.replace("<head>", `<head><meta http-equiv="Content-Security-Policy" content="${escapeAttribute(hostPolicyFor(csp))}">`);
  await page.setContent(
    [
      "<!DOCTYPE html><html><body style=\"margin:0\">",
      "<script>window.addEventListener('message', (event) => { if (event.source === document.querySelector('iframe').contentWindow) window.toHost(event.data); });</script>",
      `<iframe sandbox="allow-scripts" style="border:0;width:500px;height:340px" srcdoc="${escapeAttribute(framed)}"></iframe>`,
      "</body></html>",
    ].join(""),
  );
  await delivered;
  return { page, transport, sizes, consoleErrors, requests };
}

describe("MCP Apps: graph_me's profile card", function () {
  this.timeout(120_000);
  let peers: OboPeers;
  let kit: RunningKit;
  let client: ConnectedClient;
  let browser: Browser;

  before(async () => {
    peers = await startOboPeers();
    kit = await startProxyKit(peers.standIn);
    client = await connectSignedIn("v2-auto", kit, "alice", "MCP Apps e2e");
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await client?.close();
    await kit?.close();
    await peers?.close();
  });

  const readCard = async (): Promise<ReadContent> => {
    const contents = await client.readResource(CARD_URI);
    assert.equal(contents.length, 1);
    return contents[0]!;
  };
  const declaredCsp = (content: ReadContent): McpUiResourceCsp => ((content._meta?.["ui"] as { csp?: McpUiResourceCsp } | undefined)?.csp ?? assert.fail("no _meta.ui.csp")) as McpUiResourceCsp;

  it("is declared on graph_me with both spellings of the resource URI", async () => {
    const graphMe = (await client.listTools()).find((tool) => tool.name === "graph_me");
    assert.deepEqual(graphMe?._meta?.["ui"], { resourceUri: CARD_URI });
    assert.equal(graphMe?._meta?.["ui/resourceUri"], CARD_URI);
  });

  it("is listed as a ui:// resource with the MCP Apps MIME type and its CSP", async () => {
    const listed = (await client.listResources()).find((resource) => resource.uri === CARD_URI);
    assert.equal(listed?.mimeType, "text/html;profile=mcp-app");
    assert.equal(listed?.mimeType, APP_MIME_TYPE);
    assert.deepEqual(listed?._meta?.["ui"], { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] }, prefersBorder: false });
  });

  it("reads as one HTML5 document with the declared MIME type, the CSP on the content, and a policy of its own", async () => {
    const content = await readCard();
    assert.equal(content.uri, CARD_URI);
    assert.equal(content.mimeType, APP_MIME_TYPE);
    assert.match(content.text ?? "", /^<!DOCTYPE html>/);
    assert.deepEqual(declaredCsp(content), { connectDomains: [], resourceDomains: [], frameDomains: [] });
    assert.match(content.text ?? "", /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-/);
  });

  it("renders the signed-in user's card in Chromium from graph_me's real result, under the host's CSP, loading nothing", async () => {
    const content = await readCard();
    const result = await client.callTool("graph_me", {});
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const view = await renderView(browser, content.text!, declaredCsp(content), result);
    try {
      const frame = view.page.frameLocator("iframe");
      await frame.locator('#card[data-state="ready"]').waitFor({ timeout: 15_000 });
      assert.equal(await frame.locator("#name").textContent(), "Alice Example");
      assert.equal(await frame.locator("#initials").textContent(), "AE");
      assert.equal(await frame.locator("#title").textContent(), "Platform Engineer");
      assert.equal(await frame.locator('[data-field="mail"] dd').textContent(), "alice@contoso.example");
      assert.equal(await frame.locator('[data-field="officeLocation"]').isHidden(), true, "an empty field is not shown");
      await view.page.locator("iframe").screenshot({ path: join(SCREENSHOTS, "profile-card.png") });

      // The protocol as the official host side saw it: the handshake, then a size report.
      const methods = view.transport.fromView.map((message) => ("method" in message ? message.method : "(response)"));
      assert.deepEqual(methods.slice(0, 2), ["ui/initialize", "ui/notifications/initialized"]);
      assert.ok(view.sizes.some((size) => (size.height ?? 0) > 50), JSON.stringify(view.sizes));
      assert.deepEqual(view.consoleErrors, [], "no Content-Security-Policy violation or script error");
      assert.deepEqual(view.requests, [], "the view fetched nothing");
    } finally {
      await view.page.context().close();
    }
  });

  it("shows profile values as text, never as markup", async () => {
    const content = await readCard();
    const hostile = '<img src="x" onerror="window.parent.postMessage(\'pwned\', \'*\')">';
    const result: ToolResult = {
      content: [{ type: "text", text: "{}" }],
      structuredContent: { id: "x", displayName: hostile, userPrincipalName: "eve@contoso.example", mail: null, jobTitle: "<b>bold</b>", officeLocation: null },
    };
    const view = await renderView(browser, content.text!, declaredCsp(content), result);
    try {
      const frame = view.page.frameLocator("iframe");
      await frame.locator('#card[data-state="ready"]').waitFor({ timeout: 15_000 });
      assert.equal(await frame.locator("#name").textContent(), hostile);
      assert.equal(await frame.locator("#title").textContent(), "<b>bold</b>");
      assert.equal(await frame.locator("img, b").count(), 0);
      assert.ok(!view.transport.fromView.some((message) => (message as unknown) === "pwned"));
    } finally {
      await view.page.context().close();
    }
  });

  it("says so when the tool failed, instead of showing an empty card", async () => {
    const content = await readCard();
    const view = await renderView(browser, content.text!, declaredCsp(content), { content: [{ type: "text", text: "Microsoft Graph answered 503; try again later." }], isError: true });
    try {
      const frame = view.page.frameLocator("iframe");
      await frame.locator('#card[data-state="error"]').waitFor({ timeout: 15_000 });
      assert.equal(await frame.locator("#name").textContent(), "Profile unavailable");
      assert.equal(await frame.locator("#title").textContent(), "Microsoft Graph answered 503; try again later.");
    } finally {
      await view.page.context().close();
    }
  });
});
