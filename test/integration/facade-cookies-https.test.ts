/**
 * The facade's cookies as a deployed app sends them: with an https public
 * URL they carry the __Host- prefix and Secure, are host-only and HttpOnly,
 * SameSite=Lax, after the Azure Functions adapter turned them into
 * HttpResponseInit cookies and the host serialized them again (the local host
 * uses the serializer and options the Functions worker uses; a worker bug once
 * added a Domain to such cookies).
 */
import assert from "node:assert/strict";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { hiddenInput, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";

const PUBLIC_ORIGIN = "https://mcp.contoso.example";
const REDIRECT = "http://127.0.0.1:45690/callback";

describe("the facade's cookies behind an https public URL", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { PUBLIC_BASE_URL: PUBLIC_ORIGIN } });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  it("sets __Host- cookies that are Secure, host-only, HttpOnly, SameSite=Lax and scoped to /, and sends Entra its own PKCE challenge", async () => {
    const registered = await fetch(new URL("/register", kit.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Cookie check", redirect_uris: [REDIRECT] }),
    });
    assert.equal(registered.status, 201, await registered.clone().text());
    const clientId = String(((await registered.json()) as Record<string, unknown>)["client_id"]);
    const clientChallenge = newPkcePair().challenge;
    const authorize = new URL("/authorize", kit.baseUrl);
    authorize.search = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: clientChallenge, code_challenge_method: "S256" }).toString();
    const page = await fetch(authorize);
    assert.equal(page.status, 200);
    const sealedRequest = hiddenInput(await page.text(), "request");
    assert.ok(sealedRequest);

    const approved = await fetch(new URL("/consent", kit.baseUrl), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: PUBLIC_ORIGIN, "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ request: sealedRequest, decision: "approve", remember: "on" }),
    });
    assert.equal(approved.status, 303, await approved.text());
    const cookies = approved.headers.getSetCookie();
    assert.equal(cookies.length, 2, cookies.join("\n"));
    for (const name of ["__Host-mcpkit-binding", "__Host-mcpkit-consent"]) {
      const cookie = cookies.find((header) => header.startsWith(`${name}=`));
      assert.ok(cookie, `${name} in ${cookies.join(" | ")}`);
      const attributes = cookie.split(";").slice(1).map((attribute) => attribute.trim().split("=")[0]!.toLowerCase());
      for (const required of ["path", "secure", "httponly", "samesite", "max-age"]) assert.ok(attributes.includes(required), `${name} has ${required}: ${cookie}`);
      assert.ok(!attributes.includes("domain"), `${name} is host-only: ${cookie}`);
      assert.match(cookie, /; Path=\/(;|$)/);
      assert.match(cookie, /; SameSite=Lax(;|$)/);
    }

    // The client's PKCE pair protects the client's code; the facade protects Entra's code with its own.
    const toEntra = new URL(approved.headers.get("location")!);
    assert.equal(toEntra.origin, standIn.origin);
    assert.equal(toEntra.searchParams.get("code_challenge_method"), "S256");
    assert.match(toEntra.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(toEntra.searchParams.get("code_challenge"), clientChallenge, "the facade's own challenge, not the client's");
    assert.equal(toEntra.searchParams.get("resource"), null);
  });
});
