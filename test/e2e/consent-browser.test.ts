/**
 * The facade's consent flow in a real browser (Debian's chromium through
 * playwright-core): the consent page as a person sees it, on a desktop and a
 * phone and with the keyboard alone; Allow, the sign-in at the Entra
 * stand-in, and the landing at the client's redirect; the cookies as the
 * browser received them; and the page refusing to be framed.
 *
 * Screenshots of the consent page go to test-results/ (gitignored) as test
 * artifacts: consent-page.png (desktop) and consent-page-phone.png.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page, Response as BrowserResponse } from "playwright-core";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { escapeHtml } from "../../lib/oauth/pages.js";
import { launchChromium } from "../support/browser.js";
import { pkcePair, requireDevTlsTrust, startDefaultStandIn, type PkcePair } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";

/** Repository root: this file runs from dist/test/e2e/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const ARTIFACTS = join(ROOT, "test-results");
const CLIENT_NAME = "Browser Test Client";

/**
 * The client's side, on another origin than the kit (127.0.0.1 against the
 * kit's localhost): the redirect target it registered, and pages that try
 * to frame other pages.
 */
class ClientSite {
  /** Every URL the browser landed on at /callback. */
  readonly landings: URL[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ClientSite> {
    let site: ClientSite | undefined;
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", site!.origin);
      const html = (body: string): void => void response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html><html><body>${body}</body></html>`);
      if (url.pathname === "/callback") {
        site!.landings.push(url);
        html("<h1>Signed in</h1>");
      } else if (url.pathname === "/frame") {
        html(`<h1>Framing page</h1><iframe id="target" width="800" height="600" src="${escapeHtml(url.searchParams.get("src") ?? "")}"></iframe>`);
      } else if (url.pathname === "/frameable") {
        html(`<p id="content">Frameable content</p>`);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    site = new ClientSite(server);
    return site;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get callbackUrl(): string {
    return `${this.origin}/callback`;
  }

  /** A page of this origin that frames `src`. */
  framingPage(src: string): string {
    return `${this.origin}/frame?src=${encodeURIComponent(src)}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** The attribute names of a Set-Cookie header, lower-cased (`domain`, `httponly`, …). */
function cookieAttributes(header: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of header.split(";").slice(1)) {
    const [name = "", ...value] = part.split("=");
    attributes.set(name.trim().toLowerCase(), value.join("=").trim());
  }
  return attributes;
}

describe("the consent flow in a real browser", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let site: ClientSite;
  let browser: Browser;
  let clientId: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    requireDevTlsTrust();
    browser = await launchChromium();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn);
    site = await ClientSite.start();
    const registration = await fetch(new URL("/register", kit.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: [site.callbackUrl], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
    });
    assert.equal(registration.status, 201);
    clientId = ((await registration.json()) as { client_id: string }).client_id;
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await kit?.close();
    await standIn?.close();
  });

  /** A fresh browser profile's page (no cookies, no approvals). */
  async function freshPage(options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    contexts.push(context);
    return context.newPage();
  }

  /** The client's authorization request, as an MCP client would open it. */
  function authorizationUrl(state: string, pkce: PkcePair): string {
    const url = new URL("/authorize", kit.baseUrl);
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: site.callbackUrl,
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: "S256",
      resource: kit.mcpUrl.href,
    })) {
      url.searchParams.set(name, value);
    }
    return url.href;
  }

  async function openConsentPage(page: Page, state = "state-of-the-client", pkce = pkcePair()): Promise<void> {
    const response = await page.goto(authorizationUrl(state, pkce));
    assert.equal(response?.status(), 200, "the consent page is shown");
    await page.getByRole("button", { name: "Allow" }).waitFor();
  }

  /** After Allow: signs in as Alice on the stand-in's page and waits to land at the client's redirect. */
  async function signInAtStandIn(page: Page): Promise<URL> {
    await page.waitForURL((url) => url.pathname !== "/authorize", { waitUntil: "domcontentloaded", timeout: 10_000 });
    if (new URL(page.url()).origin !== standIn.origin) {
      throw new Error(`After Allow the browser should be at the stand-in's sign-in page, but it is at ${page.url()}: ${(await page.locator("body").innerText()).trim()}`);
    }
    await page.locator('form.dev-user[data-alias="alice"]').getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(`${site.callbackUrl}?`));
    return new URL(page.url());
  }

  it("shows the consent page naming the client, its redirect and what it grants, and saves a screenshot of it", async () => {
    const page = await freshPage();
    await openConsentPage(page);
    const heading = await page.getByRole("heading", { level: 1 }).textContent();
    assert.match(heading ?? "", /^Allow access to .+\?$/);
    const text = await page.locator("main").innerText();
    assert.ok(text.includes(`“${CLIENT_NAME}”`), `the client is named: ${text}`);
    assert.match(text, /not verified: the application named itself/, "a registered client's name is marked unverified");
    assert.match(text, /this computer/, "a loopback redirect is described as an application on this computer");
    assert.match(text, /mcp\.access/, "the scope granted is listed");
    assert.ok(await page.getByRole("button", { name: "Allow" }).isVisible());
    assert.ok(await page.getByRole("button", { name: "Deny" }).isVisible());
    await page.screenshot({ path: join(ARTIFACTS, "consent-page.png"), fullPage: true });
  });

  it("fits a phone screen: nothing overflows sideways at 390×844 and both buttons are in view", async () => {
    const page = await freshPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    await openConsentPage(page);
    const widths = (await page.evaluate("({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })")) as { scroll: number; client: number };
    assert.ok(widths.scroll <= widths.client, `the page is ${widths.scroll}px wide in a ${widths.client}px viewport`);
    for (const name of ["Allow", "Deny"]) {
      const box = await page.getByRole("button", { name }).boundingBox();
      assert.ok(box !== null && box.x >= 0 && box.x + box.width <= 390, `${name} lies within the screen's width: ${JSON.stringify(box)}`);
      assert.ok(box.height >= 44, `${name} is a comfortable touch target: ${box.height}px tall`);
    }
    await page.screenshot({ path: join(ARTIFACTS, "consent-page-phone.png"), fullPage: true });
  });

  it("Allow, then the dev user's sign-in at the stand-in, lands at the client's redirect with a code and the client's state; the code redeems", async () => {
    const page = await freshPage();
    const pkce = pkcePair();
    await openConsentPage(page, "client-state-42", pkce);
    await page.getByRole("button", { name: "Allow" }).click();
    const landing = await signInAtStandIn(page);

    assert.equal(landing.origin + landing.pathname, site.callbackUrl);
    assert.equal(landing.searchParams.get("state"), "client-state-42");
    assert.equal(landing.searchParams.get("iss"), kit.baseUrl.origin);
    assert.equal(landing.searchParams.get("error"), null);
    const code = landing.searchParams.get("code");
    assert.ok(code !== null && code !== "", "a code came back");
    assert.ok(await page.getByRole("heading", { name: "Signed in" }).isVisible(), "the client's page rendered");

    const token = await fetch(new URL("/token", kit.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code, code_verifier: pkce.verifier, redirect_uri: site.callbackUrl, resource: kit.mcpUrl.href }),
    });
    const body = (await token.json()) as Record<string, unknown>;
    assert.equal(token.status, 200, JSON.stringify(body));
    assert.equal(typeof body["access_token"], "string");
  });

  it("sets its cookies host-only (no Domain), HttpOnly and SameSite=Lax, as the browser receives them", async () => {
    const page = await freshPage();
    const kitCookies: Promise<string[]>[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).origin === kit.baseUrl.origin) kitCookies.push(response.headerValues("set-cookie"));
    });
    await openConsentPage(page);
    await page.getByRole("checkbox", { name: /Remember my choice/ }).check();
    const consentAnswer: Promise<BrowserResponse> = page.waitForResponse((response) => new URL(response.url()).pathname === "/consent" && response.request().method() === "POST");
    await page.getByRole("button", { name: "Allow" }).click();
    const answer = await consentAnswer;
    assert.equal(answer.status(), 303);

    const setCookies = await answer.headerValues("set-cookie");
    assert.equal(setCookies.length, 2, `the binding and the remembered-approval cookies: ${setCookies.join(" | ")}`);
    for (const header of setCookies) {
      const attributes = cookieAttributes(header);
      assert.ok(!attributes.has("domain"), `no Domain attribute: ${header}`);
      assert.ok(attributes.has("httponly"), `HttpOnly: ${header}`);
      assert.equal(attributes.get("samesite")?.toLowerCase(), "lax", `SameSite=Lax: ${header}`);
      assert.equal(attributes.get("path"), "/", `Path=/: ${header}`);
    }
    const stored = (await page.context().cookies()).filter((cookie) => cookie.name.includes("mcpkit"));
    assert.equal(stored.length, 2);
    for (const cookie of stored) {
      // A host-only cookie is stored under the bare host; a Domain cookie under ".host", shared with subdomains.
      assert.equal(cookie.domain, kit.baseUrl.hostname, `${cookie.name} is host-only`);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Lax");
    }

    await signInAtStandIn(page);
    const fromKit = (await Promise.all(kitCookies)).flat();
    assert.ok(fromKit.length >= 3, `the callback cleared the binding cookie too: ${fromKit.join(" | ")}`);
    for (const header of fromKit) assert.ok(!cookieAttributes(header).has("domain"), `no Domain attribute on any cookie of the kit: ${header}`);
  });

  it("works with the keyboard alone: Tab reaches Allow with a visible focus ring, and Enter approves", async () => {
    const page = await freshPage();
    await openConsentPage(page, "keyboard-state");
    let focused = "";
    for (let presses = 0; presses < 10 && focused !== "Allow"; presses++) {
      await page.keyboard.press("Tab");
      focused = String(await page.evaluate("document.activeElement?.textContent?.trim() ?? ''"));
    }
    assert.equal(focused, "Allow", "Tab reaches the Allow button");
    const outline = String(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle"));
    assert.notEqual(outline, "none", "the focused button shows a focus ring");
    await page.keyboard.press("Enter");
    const landing = await signInAtStandIn(page);
    assert.equal(landing.searchParams.get("state"), "keyboard-state");
    assert.ok(landing.searchParams.get("code"));
  });

  it("cannot be framed: a page of another origin gets no consent page in its iframe", async () => {
    const page = await freshPage();
    // The control: the same framing page does render a page that allows framing, so an empty frame below means refused.
    await page.goto(site.framingPage(`${site.origin}/frameable`));
    const control = page.frameLocator("#target").locator("#content");
    assert.equal(await control.textContent({ timeout: 10_000 }), "Frameable content");

    const blocked: string[] = [];
    page.on("console", (message) => blocked.push(message.text()));
    await page.goto(site.framingPage(authorizationUrl("framed", pkcePair())));
    const frame = await (await page.locator("#target").elementHandle())?.contentFrame();
    assert.ok(frame, "the iframe exists");
    await frame.waitForLoadState("load");
    const rendered = await frame.locator("text=Allow").count();
    assert.equal(rendered, 0, "the consent page did not render inside the frame");
    assert.equal(await page.frameLocator("#target").getByRole("button", { name: "Allow" }).count(), 0);
    assert.ok(
      blocked.some((text) => /frame-ancestors|X-Frame-Options/i.test(text)),
      `chromium reports the refusal: ${blocked.join(" | ") || "(nothing logged)"}`,
    );
  });
});
