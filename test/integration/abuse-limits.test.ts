/**
 * What one request may make the facade do, at the edges of every limit:
 * registration metadata (body, number and length of redirect URIs, names,
 * nesting, total size), /authorize parameters (length, repetition, state,
 * scope), /token and /consent forms (body, parameter lengths). Each limit
 * refuses one step past it, accepts what it allows, and nothing accepted is
 * refused later.
 */
import assert from "node:assert/strict";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { MAX_CLIENT_ID_LENGTH } from "../../lib/oauth/clients.js";
import { LIFETIMES } from "../../lib/oauth/facade.js";
import { MAX_FORM_BYTES, MAX_PARAMETER_LENGTH, MAX_SEALED_PARAMETER_LENGTH } from "../../lib/oauth/forms.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { hiddenInput, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";

const KEYRING = generateKeyringJson("limits");
const REDIRECT = "http://127.0.0.1:45682/callback";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("abuse limits of the facade", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING } });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  async function register(metadata: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: typeof metadata === "string" ? metadata : JSON.stringify(metadata) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  function authorize(params: Record<string, string>, extra = ""): Promise<Response> {
    const url = new URL("/authorize", kit.baseUrl);
    url.search = new URLSearchParams(params).toString() + extra;
    return fetch(url, { redirect: "manual" });
  }

  async function token(fields: string | Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(new URL("/token", kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: typeof fields === "string" ? fields : new URLSearchParams(fields) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  describe("/register", () => {
    it("accepts 10 redirect URIs and refuses 11", async () => {
      const uris = (count: number): string[] => Array.from({ length: count }, (_, index) => `https://app.example/${index}`);
      assert.equal((await register({ redirect_uris: uris(10) })).status, 201);
      const refused = await register({ redirect_uris: uris(11) });
      assert.equal(refused.status, 400);
      assert.equal(refused.body["error"], "invalid_redirect_uri");
    });

    it("refuses a redirect URI over 2,000 characters and a client name over 200", async () => {
      const long = await register({ redirect_uris: [`https://app.example/${"a".repeat(2000)}`] });
      assert.equal(long.status, 400);
      assert.equal(long.body["error"], "invalid_redirect_uri");
      assert.equal((await register({ redirect_uris: [REDIRECT], client_name: "n".repeat(200) })).status, 201);
      assert.equal((await register({ redirect_uris: [REDIRECT], client_name: "n".repeat(201) })).body["error"], "invalid_client_metadata");
    });

    it(`refuses a body over ${MAX_FORM_BYTES} bytes, and JSON that is not an object`, async () => {
      const padded = (size: number): string => {
        const base = JSON.stringify({ redirect_uris: [REDIRECT], pad: "" });
        return base.replace('"pad":""', `"pad":"${"p".repeat(size - base.length)}"`);
      };
      assert.equal((await register(padded(MAX_FORM_BYTES))).status, 201, "exactly the limit: unknown members are ignored");
      assert.equal((await register(padded(MAX_FORM_BYTES + 1))).body["error"], "invalid_client_metadata");
      for (const body of ["[]", "null", '"x"', "42"]) assert.equal((await register(body)).body["error"], "invalid_client_metadata", body);
    });

    it("answers deeply nested metadata quickly, registering only what the rules accept", async () => {
      const depth = Math.floor((MAX_FORM_BYTES - 100) / 2);
      const started = Date.now();
      const answer = await register(`{"redirect_uris":["${REDIRECT}"],"x":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      assert.ok(Date.now() - started < 1000);
      assert.equal(answer.status, 201);
      assert.deepEqual(Object.keys(answer.body).sort(), ["application_type", "client_id", "client_id_issued_at", "grant_types", "redirect_uris", "response_types", "token_endpoint_auth_method"]);
    });

    it(`refuses a registration whose client_id would exceed ${MAX_CLIENT_ID_LENGTH} characters, and every one it accepts works at /authorize`, async () => {
      // Redirect URIs of growing length until the sealed registration no longer fits.
      let largestAccepted: string | undefined;
      let refused: Record<string, unknown> | undefined;
      for (let length = 100; length <= 2000 && refused === undefined; length += 100) {
        const answer = await register({ redirect_uris: [REDIRECT, `https://app.example/${"r".repeat(length)}`], client_name: "n".repeat(200) });
        if (answer.status === 201) largestAccepted = String(answer.body["client_id"]);
        else refused = answer.body;
      }
      assert.equal(refused?.["error"], "invalid_client_metadata");
      assert.match(String(refused?.["error_description"]), /too large/);
      assert.ok(largestAccepted !== undefined && largestAccepted.length <= MAX_CLIENT_ID_LENGTH && largestAccepted.length > MAX_CLIENT_ID_LENGTH - 200, String(largestAccepted?.length));
      const page = await authorize({ client_id: largestAccepted, redirect_uri: REDIRECT, response_type: "code", code_challenge: CHALLENGE, code_challenge_method: "S256", state: "s".repeat(1024) });
      assert.equal(page.status, 200, "the largest registration the facade issues is one it accepts");
      const request = hiddenInput(await page.text(), "request")!;
      assert.ok(request.length <= MAX_SEALED_PARAMETER_LENGTH);
      const consent = await fetch(new URL("/consent", kit.baseUrl), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: kit.baseUrl.origin, "sec-fetch-site": "same-origin" },
        body: new URLSearchParams({ request, decision: "approve" }),
      });
      assert.equal(consent.status, 303, "and its consent form comes back within the limits too");
      const state = new URL(consent.headers.get("location")!).searchParams.get("state")!;
      assert.ok(state.length <= MAX_SEALED_PARAMETER_LENGTH, `state of ${state.length} characters`);
    });
  });

  describe("/authorize", () => {
    let clientId: string;
    const valid = (): Record<string, string> => ({ client_id: clientId, redirect_uri: REDIRECT, response_type: "code", code_challenge: CHALLENGE, code_challenge_method: "S256" });
    before(async () => {
      clientId = String((await register({ redirect_uris: [REDIRECT] })).body["client_id"]);
    });

    it(`refuses a parameter over ${MAX_PARAMETER_LENGTH} characters, and a repeated one, on its own page`, async () => {
      for (const answer of [await authorize({ ...valid(), nonce: "n".repeat(MAX_PARAMETER_LENGTH + 1) }), await authorize(valid(), `&code_challenge=${CHALLENGE}`)]) {
        assert.equal(answer.status, 400);
        assert.equal(answer.headers.get("location"), null);
      }
      assert.equal((await authorize({ ...valid(), nonce: "n".repeat(MAX_PARAMETER_LENGTH) })).status, 200);
    });

    it("refuses a state over 1,024 characters without echoing it back", async () => {
      assert.equal((await authorize({ ...valid(), state: "s".repeat(1024) })).status, 200);
      const answer = await authorize({ ...valid(), state: "s".repeat(1025) });
      assert.equal(answer.status, 303);
      const location = new URL(answer.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "invalid_request");
      assert.equal(location.searchParams.get("state"), null);
      assert.ok(location.href.length < 500, "the refused value does not travel back");
    });

    it("reads a scope string of the longest allowed length quickly, refusing an unknown scope at the end", async () => {
      const repeated = "mcp.access ".repeat(Math.floor(MAX_PARAMETER_LENGTH / 11)).trim();
      const started = Date.now();
      assert.equal((await authorize({ ...valid(), scope: repeated })).status, 200);
      const unknown = await authorize({ ...valid(), scope: `${repeated.slice(0, MAX_PARAMETER_LENGTH - 20)} Mail.Send` });
      assert.ok(Date.now() - started < 1000);
      assert.equal(new URL(unknown.headers.get("location")!).searchParams.get("error"), "invalid_scope");
    });

    it("leaves a query string over the host's header limit to the host (431), never a 5xx", async () => {
      const answer = await authorize({ ...valid(), pad: "p".repeat(20_000) });
      assert.ok([400, 414, 431].includes(answer.status), String(answer.status));
    });
  });

  describe("/token and /consent", () => {
    it(`refuses a form body over ${MAX_FORM_BYTES} bytes`, async () => {
      const answer = await token(`grant_type=refresh_token&client_id=x&refresh_token=${"r".repeat(MAX_FORM_BYTES)}`);
      assert.equal(answer.status, 400);
      assert.match(String(answer.body["error_description"]), /exceeds/);
      const consent = await fetch(new URL("/consent", kit.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: kit.baseUrl.origin, "sec-fetch-site": "same-origin" },
        body: `request=${"r".repeat(MAX_FORM_BYTES)}&decision=approve`,
      });
      assert.equal(consent.status, 400);
    });

    it(`allows sealed values up to ${MAX_SEALED_PARAMETER_LENGTH} characters and ordinary parameters up to ${MAX_PARAMETER_LENGTH}`, async () => {
      const clientId = String((await register({ redirect_uris: [REDIRECT] })).body["client_id"]);
      const sealer = new Sealer(parseKeyring(KEYRING));
      // A genuine refresh token around a very long Entra refresh token: read, then refused by Entra, not by the size limit.
      const large = await sealer.seal("refresh", { c: clientId, s: ["mcp.access"], rt: `1.AR${"x".repeat(6000)}` }, LIFETIMES.refresh);
      assert.ok(large.length > MAX_PARAMETER_LENGTH && large.length <= MAX_SEALED_PARAMETER_LENGTH);
      const refreshed = await token({ grant_type: "refresh_token", client_id: clientId, refresh_token: large });
      assert.equal(refreshed.body["error"], "invalid_grant", JSON.stringify(refreshed.body));
      assert.doesNotMatch(String(refreshed.body["error_description"]), /too long/);
      const tooLong = await token({ grant_type: "refresh_token", client_id: clientId, refresh_token: "r".repeat(MAX_SEALED_PARAMETER_LENGTH + 1) });
      assert.match(String(tooLong.body["error_description"]), /refresh_token parameter is too long/);
      const longScope = await token({ grant_type: "refresh_token", client_id: clientId, refresh_token: large, scope: "s".repeat(MAX_PARAMETER_LENGTH + 1) });
      assert.match(String(longScope.body["error_description"]), /scope parameter is too long/);
    });

    it("refuses a repeated parameter at /token", async () => {
      const answer = await token("grant_type=refresh_token&grant_type=authorization_code&client_id=x&refresh_token=y");
      assert.equal(answer.status, 400);
      assert.match(String(answer.body["error_description"]), /repeated/);
    });
  });
});
