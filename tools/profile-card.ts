import { appDocument, defineAppResource } from "../lib/mcp/index.js";

/**
 * The view's whole program. It speaks the MCP Apps view protocol by hand
 * (SEP-1865: JSON-RPC over postMessage with the host), which for a card that
 * only shows one result is a few lines; the official `App` class of
 * `@modelcontextprotocol/ext-apps` needs a bundler and brings half a
 * megabyte. Profile values are set with textContent, never as HTML.
 */
const SCRIPT = `
const pending = new Map();
let nextId = 1;
const send = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
const request = (method, params) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  send({ id, method, params });
});

function applyContext(context) {
  if (!context) return;
  if (context.theme) document.documentElement.dataset.theme = context.theme;
  for (const [name, value] of Object.entries(context.styles?.variables ?? {})) {
    if (typeof value === "string") document.documentElement.style.setProperty(name, value);
  }
}

function profileOf(result) {
  if (result.structuredContent) return result.structuredContent;
  const text = (result.content ?? []).find((block) => block.type === "text")?.text;
  try { return JSON.parse(text); } catch { return undefined; }
}

function render(result) {
  const card = document.getElementById("card");
  const profile = profileOf(result);
  if (result.isError || !profile) {
    card.dataset.state = "error";
    document.getElementById("name").textContent = "Profile unavailable";
    document.getElementById("title").textContent = (result.content ?? []).find((block) => block.type === "text")?.text ?? "";
    return;
  }
  const name = profile.displayName || profile.userPrincipalName || "Unknown user";
  document.getElementById("initials").textContent = name.split(/\\s+/).map((part) => part[0] ?? "").join("").slice(0, 2).toUpperCase();
  document.getElementById("name").textContent = name;
  document.getElementById("title").textContent = profile.jobTitle ?? "";
  for (const field of ["mail", "userPrincipalName", "officeLocation"]) {
    const row = document.querySelector('[data-field="' + field + '"]');
    row.hidden = !profile[field];
    row.querySelector("dd").textContent = profile[field] ?? "";
  }
  card.dataset.state = "ready";
}

window.addEventListener("message", (event) => {
  if (event.source !== window.parent) return;
  const message = event.data;
  if (!message || message.jsonrpc !== "2.0") return;
  if (message.id !== undefined && pending.has(message.id) && !message.method) {
    const { resolve, reject } = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) reject(new Error(message.error.message)); else resolve(message.result);
    return;
  }
  if (message.method === "ui/notifications/tool-result") render(message.params);
  else if (message.method === "ui/notifications/host-context-changed") applyContext(message.params);
  else if (message.method === "ui/resource-teardown") send({ id: message.id, result: {} });
  else if (message.id !== undefined && message.method) send({ id: message.id, error: { code: -32601, message: "Method not found" } });
});

request("ui/initialize", {
  appInfo: { name: "profile-card", version: "1.0.0" },
  appCapabilities: { availableDisplayModes: ["inline"] },
  protocolVersion: "2026-01-26",
}).then((result) => {
  applyContext(result.hostContext);
  send({ method: "ui/notifications/initialized", params: {} });
  // Only after the handshake: the host sizes the frame to what the card needs.
  new ResizeObserver(() => {
    const { width, height } = document.documentElement.getBoundingClientRect();
    send({ method: "ui/notifications/size-changed", params: { width: Math.ceil(width), height: Math.ceil(height) } });
  }).observe(document.documentElement);
});
`;

const STYLE = `
:root { color-scheme: light dark; font-family: var(--font-sans, system-ui, sans-serif); }
body { margin: 0; padding: 12px; background: transparent; color: var(--color-text-primary, #1b1b1b); }
[data-theme="dark"] body { color: var(--color-text-primary, #f3f3f3); }
#card { display: grid; grid-template-columns: auto 1fr; gap: 4px 16px; align-items: center; max-width: 420px; padding: 16px;
  border-radius: var(--border-radius-lg, 12px); background: var(--color-background-secondary, #f4f6f8); }
[data-theme="dark"] #card { background: var(--color-background-secondary, #262a30); }
#initials { grid-row: span 2; width: 56px; height: 56px; border-radius: 50%; display: grid; place-items: center;
  background: #0078d4; color: #fff; font-size: 22px; font-weight: 600; }
#name { margin: 0; font-size: 18px; font-weight: 600; }
#title { margin: 0; color: var(--color-text-secondary, #5f6b76); }
dl { grid-column: 1 / -1; display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 12px 0 0; font-size: 14px; }
dt { color: var(--color-text-secondary, #5f6b76); }
dd { margin: 0; overflow-wrap: anywhere; }
div[data-field] { display: contents; }
div[data-field][hidden] { display: none; }
#card[data-state="loading"] dl { visibility: hidden; }
`;

const BODY = `
<section id="card" data-state="loading" aria-live="polite">
  <div id="initials" aria-hidden="true"></div>
  <h1 id="name">Loading your profile…</h1>
  <p id="title"></p>
  <dl>
    <div data-field="mail"><dt>E-mail</dt><dd></dd></div>
    <div data-field="userPrincipalName"><dt>Sign-in name</dt><dd></dd></div>
    <div data-field="officeLocation"><dt>Office</dt><dd></dd></div>
  </dl>
</section>
`;

/**
 * The MCP Apps view of `graph_me`: a small card showing the signed-in user's
 * Microsoft 365 profile from the tool's structured result. It needs nothing
 * from the network, so its CSP declares no origins at all.
 */
export default defineAppResource({
  uri: "ui://graph-me/profile-card",
  name: "profile-card",
  title: "Profile card",
  description: "A card showing the signed-in user's Microsoft 365 profile; the view of the graph_me tool for clients that render MCP Apps.",
  html: appDocument({ title: "Profile card", style: STYLE, script: SCRIPT, body: BODY }),
  csp: { connectDomains: [], resourceDomains: [], frameDomains: [] },
  prefersBorder: false,
});
