/**
 * The facade's endpoints under generated input, through the real local host:
 * form bodies at /token, /consent and /register (repeated parameters,
 * oversized values, wrong encodings and media types, invalid UTF-8, tampered
 * sealed values) and query strings at /authorize and /auth/callback. None may
 * produce a 5xx or a stack trace, and none may issue anything it should not:
 * no token from /token, no registration that breaks the redirect rules, no
 * step towards Entra from a consent form that is not ours, no consent page
 * for a request that fails a rule, no code without a sign-in.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { LIFETIMES } from "../../lib/oauth/facade.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { hiddenInput, startProxyKit } from "../support/facade.js";
import { anyText, fuzzParameters, trickyText } from "../support/fuzz.js";
import type { RunningKit } from "../support/kit.js";
import { showsStackTrace } from "../support/mcp-calls.js";

const KEYRING = generateKeyringJson("fuzz-oauth");
const REDIRECT = "http://127.0.0.1:45681/callback";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function send(url: URL, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function assertClean(answer: Answer, what: string): void {
  assert.ok(answer.status < 500, `${answer.status} for ${what}: ${answer.body.slice(0, 300)}`);
  assert.ok(!showsStackTrace(answer.body), `a stack trace for ${what}: ${answer.body.slice(0, 300)}`);
}

/** A value that may stand for a parameter: realistic, hostile, oversized or broken. */
function valueLike(realistic: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...realistic) },
    { weight: 2, arbitrary: trickyText(6) },
    { weight: 1, arbitrary: anyText(80) },
    { weight: 1, arbitrary: fc.constantFrom(4097, 12 * 1024 + 1, 15_000).map((length) => "A".repeat(length)) },
    { weight: 1, arbitrary: fc.constantFrom("%", "%ZZ", "%ff%fe", "%c3%28", "%ed%a0%80", "%00", "a%2", "%E2%82") },
  );
}

function pairText(name: string, value: string): string {
  return `${name}=${value.replaceAll("&", "%26").replaceAll("#", "%23")}`;
}

/** Raw `name=value` pairs joined with `&`, values not encoded (so broken encodings reach the server as they are). */
function rawPairs(fields: Readonly<Record<string, fc.Arbitrary<string>>>): fc.Arbitrary<string> {
  const pair = fc.oneof(...Object.entries(fields).map(([name, value]) => value.map((text) => pairText(name, text))));
  return fc.array(pair, { maxLength: 9 }).map((pairs) => pairs.join("&"));
}

/**
 * A valid request with some of its parameters changed: each one is kept
 * (most of the time), dropped, replaced, or repeated, so generated requests
 * sit close to the boundary between accepted and refused.
 */
function mutatedPairs(valid: Readonly<Record<string, string>>, replacements: Readonly<Record<string, fc.Arbitrary<string>>>): fc.Arbitrary<string> {
  const fields = Object.entries(valid).map(([name, value]) =>
    fc.oneof(
      { weight: 12, arbitrary: fc.constant([pairText(name, value)]) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 2, arbitrary: (replacements[name] ?? trickyText(4)).map((text) => [pairText(name, text)]) },
      { weight: 1, arbitrary: (replacements[name] ?? trickyText(4)).map((text) => [pairText(name, value), pairText(name, text)]) },
    ),
  );
  return fc.tuple(fc.tuple(...fields), fc.array(fc.tuple(trickyText(2), trickyText(3)), { maxLength: 2 })).map(([chosen, extra]) =>
    [...chosen.flat(), ...extra.map(([name, value]) => pairText(name.replaceAll("=", ""), value))].join("&"),
  );
}

describe("the facade under generated input", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let clientId: string;
  let sealedCode: string;
  let sealedRefresh: string;
  let consentRequest: string;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING } });
    const registered = await send(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "Fuzz", redirect_uris: [REDIRECT] }) });
    clientId = (JSON.parse(registered.body) as { client_id: string }).client_id;
    const sealer = new Sealer(parseKeyring(KEYRING));
    // Genuine seals around values Entra does not know: anything that gets past the facade's checks ends at Entra's refusal.
    sealedCode = await sealer.seal("code", { c: clientId, r: REDIRECT, cc: CHALLENGE, s: ["mcp.access"], ec: "1.AQ-not-an-entra-code", ev: "v".repeat(64) }, LIFETIMES.code);
    sealedRefresh = await sealer.seal("refresh", { c: clientId, s: ["mcp.access"], rt: "1.AR-not-an-entra-refresh-token" }, LIFETIMES.refresh);
    const page = await send(authorizeUrl(`client_id=${encodeURIComponent(clientId)}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&code_challenge=${CHALLENGE}&code_challenge_method=S256`), {});
    consentRequest = hiddenInput(page.body, "request")!;
    assert.ok(consentRequest !== undefined, page.body.slice(0, 300));
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  function authorizeUrl(query: string): URL {
    return new URL(`/authorize?${query}`, kit.baseUrl);
  }

  it("issues no token at /token for any form", async () => {
    const tamper = fc.tuple(fc.nat(), fc.constantFrom(..."AbZ09-_.")).map(([at, character]) => (value: string) => value.slice(0, at % value.length) + character + value.slice((at % value.length) + 1));
    const forms = fc.oneof(
      rawPairs({
        grant_type: valueLike(["authorization_code", "refresh_token", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer", ""]),
        client_id: valueLike([clientId, "https://client.example/doc.json", ""]),
        code: fc.oneof(valueLike([sealedCode, sealedRefresh]), tamper.map((edit) => edit(sealedCode))),
        code_verifier: valueLike([VERIFIER, "short", "x".repeat(129)]),
        redirect_uri: valueLike([REDIRECT, "http://127.0.0.1:1/callback", "https://evil.example/cb"]),
        refresh_token: fc.oneof(valueLike([sealedRefresh, sealedCode]), tamper.map((edit) => edit(sealedRefresh))),
        resource: valueLike([kit.mcpUrl.href, "https://other.example/mcp"]),
        scope: valueLike(["mcp.access", "openid", "https://graph.microsoft.com/.default", "mcp.access ".repeat(400)]),
        client_secret: valueLike(["s3cret"]),
      }),
      anyText(500),
      trickyText(20),
    );
    const headerSets = fc.record({
      "content-type": fc.constantFrom("application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "application/json", "text/plain", "multipart/form-data; boundary=x", ""),
      authorization: fc.option(fc.constantFrom("Basic YTpi", "Bearer x"), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(forms, headerSets, async (form, headers) => {
        const answer = await send(new URL("/token", kit.baseUrl), {
          method: "POST",
          headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>,
          body: form,
        });
        assertClean(answer, form.slice(0, 200));
        assert.ok([400, 401].includes(answer.status), `${answer.status} for ${form.slice(0, 200)}: ${answer.body.slice(0, 200)}`);
        const json = JSON.parse(answer.body) as Record<string, unknown>;
        assert.equal(typeof json["error"], "string");
        assert.equal(json["access_token"], undefined);
        assert.equal(json["refresh_token"], undefined);
        assert.equal(answer.headers.get("cache-control"), "no-store");
        assert.doesNotMatch(answer.body, /AADSTS/);
      }),
      fuzzParameters(300),
    );
  });

  it("answers /revoke for any form with 200 and nothing, or an RFC 7009 error; never a 5xx or a token", async () => {
    const tamper = fc.tuple(fc.nat(), fc.constantFrom(..."AbZ09-_.")).map(([at, character]) => (value: string) => value.slice(0, at % value.length) + character + value.slice((at % value.length) + 1));
    const jwtShaped = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2ln";
    const forms = fc.oneof(
      rawPairs({
        token: fc.oneof(valueLike([sealedRefresh, sealedCode, jwtShaped, "eyJhbGciOiJub25lIn0.e30.", ""]), tamper.map((edit) => edit(sealedRefresh))),
        token_type_hint: valueLike(["refresh_token", "access_token", "id_token", ""]),
        client_id: valueLike([clientId, "https://client.example/doc.json", "someone-else", ""]),
        client_secret: valueLike(["s3cret"]),
      }),
      anyText(500),
      trickyText(20),
    );
    const contentTypes = fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain", "");
    await fc.assert(
      fc.asyncProperty(forms, contentTypes, async (form, type) => {
        const answer = await send(new URL("/revoke", kit.baseUrl), { method: "POST", headers: type === "" ? {} : { "content-type": type }, body: form });
        assertClean(answer, form.slice(0, 200));
        assert.ok([200, 400, 401].includes(answer.status), `${answer.status} for ${form.slice(0, 200)}: ${answer.body.slice(0, 200)}`);
        const json = JSON.parse(answer.body) as Record<string, unknown>;
        if (answer.status === 200) assert.deepEqual(json, {});
        else assert.ok(["invalid_request", "invalid_client", "unauthorized_client", "unsupported_token_type"].includes(String(json["error"])), answer.body);
        assert.equal(answer.headers.get("cache-control"), "no-store");
      }),
      fuzzParameters(200),
    );
  });

  it("refuses at /token bodies that are not UTF-8 or too large", async () => {
    const bodies = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from("grant_type=refresh_token&refresh_token="), Buffer.from([0xff, 0xfe]), Buffer.from(bytes)])),
      fc.integer({ min: 16 * 1024 + 1, max: 40 * 1024 }).map((length) => Buffer.from(`grant_type=refresh_token&refresh_token=${"A".repeat(length)}`)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const answer = await send(new URL("/token", kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
        assertClean(answer, `${body.length} bytes`);
        assert.equal(answer.status, 400);
        assert.equal((JSON.parse(answer.body) as { error: string }).error, "invalid_request");
      }),
      fuzzParameters(40),
    );
  });

  it("registers only clients whose metadata keeps every rule, whatever JSON it is sent", async () => {
    const uris = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(REDIRECT, "http://localhost/cb", "http://[::1]:3000/cb", "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "http://evil.example/cb", "http://10.0.0.1/cb", "https://a.example/#f", "https://u:p@a.example/cb", "https:/a.example/cb", "https:\\\\a.example\\cb", " https://a.example/cb", "file:///etc/passwd", "vscode://cb"),
      },
      { weight: 1, arbitrary: trickyText(5) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    );
    /** A field that is mostly absent or acceptable, and sometimes not. */
    const field = <T,>(acceptable: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>): fc.Arbitrary<T | unknown> =>
      fc.oneof({ weight: 3, arbitrary: acceptable }, { weight: 1, arbitrary: odd });
    const metadata = fc.oneof(
      { weight: 5, arbitrary: fc.record(
        {
          redirect_uris: fc.oneof(
            // Mostly acceptable URIs with the odd one in between: the case where one bad URI must sink the registration.
            { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 2, arbitrary: fc.constantFrom(REDIRECT, "https://app.example/cb") }, { weight: 1, arbitrary: uris }), { minLength: 1, maxLength: 4 }) },
            { weight: 1, arbitrary: fc.array(uris, { maxLength: 12 }) },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
          ),
          client_name: field(fc.string({ maxLength: 60 }), fc.oneof(fc.string({ minLength: 201, maxLength: 250 }), anyText(40), fc.jsonValue({ maxDepth: 1 }))),
          client_uri: field(fc.constant("https://app.example"), fc.oneof(fc.constantFrom("http://app.example", "javascript:x"), fc.jsonValue({ maxDepth: 1 }))),
          token_endpoint_auth_method: field(fc.constant("none"), fc.oneof(fc.constantFrom("client_secret_basic", "private_key_jwt"), fc.jsonValue({ maxDepth: 1 }))),
          grant_types: field(fc.constant(["authorization_code", "refresh_token"]), fc.oneof(fc.array(fc.constantFrom("authorization_code", "refresh_token", "client_credentials", "implicit"), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }))),
          response_types: field(fc.constant(["code"]), fc.oneof(fc.array(fc.constantFrom("code", "token", "id_token"), { maxLength: 2 }), fc.jsonValue({ maxDepth: 1 }))),
          extra: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: ["redirect_uris"] },
      ) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    let registered = 0;
    await fc.assert(
      fc.asyncProperty(metadata, async (body) => {
        const text = JSON.stringify(body);
        const answer = await send(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: text });
        assertClean(answer, text.slice(0, 200));
        const json = JSON.parse(answer.body) as Record<string, unknown>;
        if (answer.status !== 201) {
          assert.equal(answer.status, 400, answer.body);
          assert.ok(json["error"] === "invalid_client_metadata" || json["error"] === "invalid_redirect_uri", answer.body);
          return;
        }
        const sent = body as Record<string, unknown>;
        const sentUris = sent["redirect_uris"] as unknown[];
        assert.ok(Array.isArray(sentUris) && sentUris.length >= 1 && sentUris.length <= 10, `registered ${text.slice(0, 200)}`);
        for (const uri of json["redirect_uris"] as string[]) {
          assert.match(uri, /^(https:\/\/[^\s#@\\]+|http:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?([/?][^\s#\\]*)?)$/i, `registered ${JSON.stringify(uri)}`);
        }
        assert.equal(json["token_endpoint_auth_method"], "none");
        assert.ok(sent["token_endpoint_auth_method"] === undefined || sent["token_endpoint_auth_method"] === "none");
        assert.ok(typeof json["client_id"] === "string" && (json["client_id"] as string).length <= 2048);
        registered++;
      }),
      fuzzParameters(300),
    );
    assert.ok(registered > 10, `only ${registered} registrations succeeded: the property checked little but refusals`);
  });

  it("refuses at /register bodies that are not JSON objects, not UTF-8, too large or too deep, and other media types", async () => {
    const cases: Array<[string, string | Uint8Array, string]> = [
      ["invalid UTF-8", Buffer.concat([Buffer.from('{"redirect_uris":["'), Buffer.from([0xc3, 0x28]), Buffer.from('"]}')]), "application/json"],
      ["a 17 KiB body", JSON.stringify({ redirect_uris: [REDIRECT], client_name: "x".repeat(17 * 1024) }), "application/json"],
      ["8,000 levels of nesting", `{"redirect_uris":["${REDIRECT}"],"x":${"[".repeat(8000)}${"]".repeat(8000)}}`, "application/json"],
      ["an array", JSON.stringify([{ redirect_uris: [REDIRECT] }]), "application/json"],
      ["a form", `redirect_uris=${encodeURIComponent(REDIRECT)}`, "application/x-www-form-urlencoded"],
      ["no media type", JSON.stringify({ redirect_uris: [REDIRECT] }), ""],
      ["a duplicated key", `{"redirect_uris":["javascript:alert(1)"],"redirect_uris":["${REDIRECT}"]}`, "application/json"],
    ];
    for (const [label, body, type] of cases) {
      const answer = await send(new URL("/register", kit.baseUrl), { method: "POST", headers: type === "" ? {} : { "content-type": type }, body });
      assertClean(answer, label);
      if (label === "8,000 levels of nesting" || label === "a duplicated key") {
        // Unknown members are ignored and JSON's last duplicate wins; what is registered must still keep the rules.
        assert.ok(answer.status === 201 || answer.status === 400, `${answer.status} for ${label}`);
        if (answer.status === 201) assert.deepEqual((JSON.parse(answer.body) as { redirect_uris: string[] }).redirect_uris, [REDIRECT]);
      } else {
        assert.equal(answer.status, 400, `${answer.status} for ${label}: ${answer.body.slice(0, 200)}`);
      }
    }
  });

  it("lets no consent form but our own, posted from our page, lead to Entra", async () => {
    const tamper = fc.tuple(fc.nat(), fc.constantFrom(..."AbZ09-_.")).map(([at, character]) => (value: string) => value.slice(0, at % value.length) + character + value.slice((at % value.length) + 1));
    const requestValues = fc.oneof(valueLike([consentRequest]), tamper.map((edit) => edit(consentRequest)));
    const forms = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("approve", "deny").chain((decision) => mutatedPairs({ request: consentRequest, decision }, { request: requestValues, decision: valueLike(["approve", "deny", "APPROVE", ""]) })) },
      { weight: 1, arbitrary: rawPairs({ request: requestValues, decision: valueLike(["approve", "deny"]), remember: valueLike(["on", "off"]) }) },
      { weight: 1, arbitrary: anyText(300) },
    );
    const origins = fc.record({
      origin: fc.option(fc.constantFrom(kit.baseUrl.origin, kit.baseUrl.origin, "null", "https://evil.example", kit.baseUrl.origin.replace("localhost", "127.0.0.1")), { nil: undefined }),
      "sec-fetch-site": fc.option(fc.constantFrom("same-origin", "same-origin", "cross-site", "same-site", "none"), { nil: undefined }),
      "content-type": fc.constantFrom("application/x-www-form-urlencoded", "application/x-www-form-urlencoded", "text/plain", "application/json"),
    });
    let ledOn = 0;
    await fc.assert(
      fc.asyncProperty(forms, origins, async (form, headers) => {
        const answer = await send(new URL("/consent", kit.baseUrl), {
          method: "POST",
          headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>,
          body: form,
        });
        assertClean(answer, form.slice(0, 200));
        const location = answer.headers.get("location");
        if (location === null) {
          assert.ok([400, 403].includes(answer.status), `${answer.status} for ${form.slice(0, 200)}`);
          assert.equal(answer.headers.getSetCookie().length, 0, "a refused answer sets no cookie");
          return;
        }
        const parameters = new URLSearchParams(form);
        const ours = parameters.getAll("request").length === 1 && parameters.get("request") === consentRequest;
        const sameOrigin = headers["sec-fetch-site"] === "same-origin" || (headers["sec-fetch-site"] === undefined && headers.origin === kit.baseUrl.origin);
        assert.ok(ours && sameOrigin && headers["content-type"] === "application/x-www-form-urlencoded", `${location} for ${form.slice(0, 200)} ${JSON.stringify(headers)}`);
        const target = new URL(location);
        if (parameters.get("decision") === "deny") assert.equal(target.searchParams.get("error"), "access_denied");
        else assert.ok(location.startsWith(standIn.endpoints().authorization), location);
        assert.equal(target.searchParams.get("code"), null);
        ledOn++;
      }),
      fuzzParameters(300),
    );
    assert.ok(ledOn > 0, "no generated form was a genuine answer: the property checked only refusals");
  });

  it("shows the consent page only for a request that keeps every rule, and redirects only to the registered URI", async () => {
    const replacements = {
      client_id: valueLike([encodeURIComponent(clientId), "https://client.example/doc.json", `${clientId}x`]),
      redirect_uri: valueLike([encodeURIComponent(REDIRECT), "http://127.0.0.1:9999/callback", "http://127.0.0.1:45681/callback/", "https://evil.example/cb", "javascript:alert(1)", "HTTP://127.0.0.1:45681/callback"]),
      response_type: valueLike(["token", "code id_token", "CODE"]),
      code_challenge: valueLike(["short", "=".repeat(43), `${CHALLENGE}A`]),
      code_challenge_method: valueLike(["plain", "s256"]),
      scope: valueLike(["openid offline_access", "mcp.access%20openid", "https://graph.microsoft.com/User.Read", "mcp.access ".repeat(300)]),
      state: valueLike(["x".repeat(1024), "x".repeat(1025), "%ff"]),
      resource: valueLike([encodeURIComponent(kit.mcpUrl.href), "https://other.example/mcp", `${kit.mcpUrl.href}#f`]),
    };
    const valid = {
      client_id: encodeURIComponent(clientId),
      redirect_uri: encodeURIComponent(REDIRECT),
      response_type: "code",
      code_challenge: CHALLENGE,
      code_challenge_method: "S256",
      scope: "mcp.access",
      state: "s1",
      resource: encodeURIComponent(kit.mcpUrl.href),
    };
    const queries = fc.oneof(
      { weight: 4, arbitrary: mutatedPairs(valid, replacements) },
      { weight: 1, arbitrary: rawPairs(replacements) },
      { weight: 1, arbitrary: anyText(300).map((text) => text.replaceAll("#", "%23")) },
      { weight: 1, arbitrary: trickyText(20).map((text) => text.replaceAll("#", "%23")) },
    );
    const seen = { page: 0, redirect: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(queries, async (query) => {
        const url = authorizeUrl(query);
        const answer = await send(url, {});
        assertClean(answer, query.slice(0, 200));
        const sent = url.searchParams;
        const once = (name: string): string | undefined => (sent.getAll(name).length === 1 ? sent.get(name)! : undefined);
        const location = answer.headers.get("location");
        if (answer.status === 200) {
          assert.equal(once("client_id"), clientId);
          // Without redirect_uri, the one URI the client registered applies.
          assert.match(sent.has("redirect_uri") ? (once("redirect_uri") ?? "") : REDIRECT, /^http:\/\/127\.0\.0\.1:\d{1,5}\/callback$/);
          assert.equal(once("response_type"), "code");
          assert.equal(once("code_challenge_method"), "S256");
          assert.match(once("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
          assert.ok((once("state") ?? "").length <= 1024);
          assert.ok([undefined, kit.mcpUrl.href].includes(sent.get("resource") ?? undefined));
          assert.equal(new Set([...sent.keys()]).size, [...sent.keys()].length, "no repeated parameter");
          seen.page++;
        } else if (location !== null) {
          seen.redirect++;
          assert.equal(answer.status, 303);
          const target = new URL(location);
          assert.equal(`${target.protocol}//${target.hostname}${target.pathname}`, "http://127.0.0.1/callback", `redirected to ${location}`);
          assert.ok(target.searchParams.get("error") !== null, location);
          assert.equal(target.searchParams.get("code"), null);
        } else {
          assert.ok([400, 431].includes(answer.status), `${answer.status} for ${query.slice(0, 200)}`);
          seen.refused++;
        }
      }),
      fuzzParameters(400),
    );
    assert.ok(seen.page > 0 && seen.redirect > 0 && seen.refused > 0, `every outcome should occur: ${JSON.stringify(seen)}`);
  });

  it("issues no code at /auth/callback without the sign-in it belongs to", async () => {
    const queries = fc.oneof(
      rawPairs({
        code: valueLike(["1.AQ-code", sealedCode]),
        state: valueLike([consentRequest, sealedCode, "s1"]),
        error: valueLike(["access_denied", "server_error", "interaction_required"]),
        error_description: valueLike(["AADSTS50011: x"]),
        session_state: valueLike(["x"]),
      }),
      anyText(200).map((text) => text.replaceAll("#", "%23")),
    );
    await fc.assert(
      fc.asyncProperty(queries, fc.boolean(), async (query, withCookie) => {
        const answer = await send(new URL(`/auth/callback?${query}`, kit.baseUrl), withCookie ? { headers: { cookie: "mcpkit-binding=forged-binding-value" } } : {});
        assertClean(answer, query.slice(0, 200));
        assert.equal(answer.headers.get("location"), null, `redirected for ${query.slice(0, 200)}`);
        assert.ok([400, 403, 431].includes(answer.status), `${answer.status}`);
      }),
      fuzzParameters(200),
    );
  });
});
