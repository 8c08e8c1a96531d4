/**
 * The facade's HTML: the consent page and the error page.
 *
 * Self-contained (no external assets, no script), readable on a phone, usable
 * with a keyboard and a screen reader. Every page forbids framing
 * (`frame-ancestors 'none'`, the click-jacking defence of the consent page)
 * and allows styles only by a per-response nonce.
 */
import { randomBytes } from "node:crypto";
import { SECURITY_HEADERS } from "../http.js";

/** What the consent page shows. */
export interface ConsentPageModel {
  /** Name of this MCP server. */
  readonly serverName: string;
  /** The client as it describes itself; unverified for dynamically registered clients. */
  readonly clientName: string | undefined;
  /** For a Client ID Metadata Document client: the host that published the document (verified by fetching it). */
  readonly verifiedHost: string | undefined;
  /** Where the browser goes afterwards. */
  readonly redirect: {
    readonly host: string;
    readonly loopback: boolean;
    readonly port: string;
    /** The URL's scheme with its colon (`https:`); another than http(s) is a native app's private-use scheme. */
    readonly scheme?: string;
  };
  /** What the user grants, in words. */
  readonly grants: readonly string[];
  /** The sealed pending request, posted back on approve or deny. */
  readonly sealedRequest: string;
}

/** The consent page. */
export function consentPage(model: ConsentPageModel): Response {
  const nonce = randomBytes(16).toString("base64");
  const client = model.clientName === undefined ? "An application" : `“${escapeHtml(model.clientName)}”`;
  const identity =
    model.verifiedHost !== undefined
      ? `<p class="fact"><span class="label">Published by</span> <strong>${escapeHtml(model.verifiedHost)}</strong> <span class="badge ok">verified domain</span></p>`
      : `<p class="fact"><span class="label">Publisher</span> not verified: the application named itself</p>`;
  const scheme = model.redirect.scheme;
  const destination = model.redirect.loopback
    ? `an application on <strong>this computer</strong> (local port ${escapeHtml(model.redirect.port || "default")}) <span class="badge">local app</span>`
    : scheme !== undefined && scheme !== "https:" && scheme !== "http:"
      ? `the application on <strong>this device</strong> that opens <strong>${escapeHtml(scheme)}</strong> addresses <span class="badge">local app</span>`
      : `<strong>${escapeHtml(model.redirect.host)}</strong>`;
  const body = `
<main>
  <h1>Allow access to ${escapeHtml(model.serverName)}?</h1>
  <p class="lead">${client} wants to use ${escapeHtml(model.serverName)} as you.</p>
  ${identity}
  <p class="fact"><span class="label">After you decide, you go to</span> ${destination}</p>
  <h2>It will be able to</h2>
  <ul>${model.grants.map((grant) => `<li>${escapeHtml(grant)}</li>`).join("")}</ul>
  <p class="warning">Only allow this if you started this sign-in yourself and trust ${model.clientName === undefined ? "this application" : escapeHtml(model.clientName)}.</p>
  <form method="post" action="/consent">
    <input type="hidden" name="request" value="${escapeHtml(model.sealedRequest)}">
    <p class="remember"><input type="checkbox" id="remember" name="remember" value="on"> <label for="remember">Remember my choice for this application in this browser</label></p>
    <div class="actions">
      <button type="submit" name="decision" value="approve" class="primary">Allow</button>
      <button type="submit" name="decision" value="deny">Deny</button>
    </div>
  </form>
</main>`;
  return page(`Allow access to ${model.serverName}?`, body, nonce, 200);
}

/** An error page: shown instead of redirecting while the client or its redirect URI is not validated. */
export function errorPage(status: number, title: string, message: string): Response {
  const nonce = randomBytes(16).toString("base64");
  const body = `
<main>
  <h1>${escapeHtml(title)}</h1>
  <p class="lead">${escapeHtml(message)}</p>
  <p>You can close this window and start the sign-in again from your application.</p>
</main>`;
  return page(title, body, nonce, status);
}

function page(title: string, main: string, nonce: string, status: number): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>${main}
</body>
</html>`;
  // No form-action: browsers apply it to every redirect after the form post, and Entra may send a
  // federated user on to their own identity provider, which no fixed list can name.
  const csp = ["default-src 'none'", `style-src 'nonce-${nonce}'`, "frame-ancestors 'none'", "base-uri 'none'"].join("; ");
  return new Response(html, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": csp,
      "X-Frame-Options": "DENY",
      "Cache-Control": "no-store",
      ...SECURITY_HEADERS,
      // Not no-referrer: under it, browsers send `Origin: null` with the consent form's POST, which
      // /consent must refuse. same-origin still sends nothing (no Referer, no Origin) to other sites.
      "Referrer-Policy": "same-origin",
    },
  });
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #f5f5f5; --card: #fff; --muted: #555; --accent: #0f6cbd; --warn: #8a4b00; }
@media (prefers-color-scheme: dark) { :root { --fg: #f0f0f0; --bg: #161616; --card: #242424; --muted: #bbb; --accent: #4aa3ff; --warn: #f0b35a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: var(--card); border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
h2 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
.lead { font-size: 1.05rem; }
.fact { margin: .5rem 0; }
.label { color: var(--muted); display: block; font-size: .85rem; }
.badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border: 1px solid currentColor; border-radius: 4px; }
.badge.ok { color: #1a7f37; }
.warning { color: var(--warn); font-size: .9rem; }
ul { padding-left: 1.25rem; }
.remember { display: flex; gap: .5rem; align-items: flex-start; }
.remember input { width: 1.2rem; height: 1.2rem; margin-top: .15rem; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
button { font: inherit; min-height: 2.75rem; min-width: 7rem; padding: .5rem 1.25rem; border-radius: 8px; border: 1px solid var(--muted); background: transparent; color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
@media (max-width: 30rem) { main { margin: 0; border-radius: 0; min-height: 100vh; } .actions button { flex: 1; } }
`;
