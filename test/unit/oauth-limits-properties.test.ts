/**
 * The facade's size limits against what it issues itself: whatever
 * registration /register accepts, and whatever a sign-in then carries (a
 * redirect URI, the client's state, Entra's code and refresh token up to
 * 4 KiB), every value the facade hands out comes back within the limits of
 * the endpoint it is presented to. Also: the parameter reader answers any
 * query string with parameters or a ParameterError, nothing else.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ClientRegistry, MAX_CLIENT_ID_LENGTH, RegistrationError } from "../../lib/oauth/clients.js";
import { LIFETIMES } from "../../lib/oauth/facade.js";
import { MAX_FORM_BYTES, MAX_PARAMETER_LENGTH, MAX_SEALED_PARAMETER_LENGTH, ParameterError, readParameters } from "../../lib/oauth/forms.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { anyText, fuzzParameters, trickyText } from "../support/fuzz.js";

const sealer = new Sealer(parseKeyring(generateKeyringJson("k2026-11-26")));
const registry = new ClientRegistry(async () => sealer, {
  resolve: () => Promise.reject(new Error("no metadata documents in this test")),
});

const URL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._~/%:@!$&'()*+,;=";
// size "max": lengths spread over the whole range, not fast-check's default of short values.
const longPath = (max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...URL_CHARS), maxLength: max, size: "max" }).map((text) => text.replace(/^\/+/, ""));
const redirectUri = fc.oneof(
  longPath(1980).map((path) => `https://app.example/${path}`),
  fc.tuple(fc.integer({ min: 1, max: 65535 }), longPath(100)).map(([port, path]) => `http://127.0.0.1:${port}/${path}`),
);
const registration = fc.record(
  {
    redirect_uris: fc.array(redirectUri, { minLength: 1, maxLength: 10, size: "max" }),
    client_name: fc.string({ unit: "grapheme", maxLength: 200, size: "max" }),
    client_uri: longPath(180).map((path) => `https://app.example/${path}`),
  },
  { requiredKeys: ["redirect_uris"] },
);
/** Entra's codes and refresh tokens: opaque, base64url-like, up to 4 KiB here (real ones are 1-2 KiB). */
const entraOpaque = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), minLength: 1, maxLength: 4096, size: "max" });
/** The client's state: anything up to the 1,024 characters /authorize accepts. */
const clientState = fc.oneof(fc.string({ maxLength: 1024, size: "max" }), fc.string({ unit: "grapheme", maxLength: 1024, size: "max" }).map((text) => text.slice(0, 1024)));
const challenge = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 43, maxLength: 43 });

function acceptsAs(name: string, value: string): void {
  const parameters = readParameters(new URLSearchParams([[name, value]]));
  assert.equal(parameters.get(name), value);
}

describe("facade size limits, properties", () => {
  it("issue no registration whose client_id an endpoint would refuse", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(registration, async (metadata) => {
        let clientId: string;
        try {
          ({ clientId } = await registry.register(metadata));
        } catch (error) {
          assert.ok(error instanceof RegistrationError, String(error));
          return;
        }
        accepted++;
        assert.ok(clientId.length <= MAX_CLIENT_ID_LENGTH && MAX_CLIENT_ID_LENGTH <= MAX_PARAMETER_LENGTH);
        acceptsAs("client_id", clientId);
        assert.equal((await registry.resolve(clientId)).clientId, clientId);
      }),
      // No shrinking: each case seals kilobytes, and the first failing one says enough.
      fuzzParameters(300, { shrink: false }),
    );
    assert.ok(accepted > 30, `only ${accepted} registrations were accepted: the generator tests too little`);
  });

  it("seal every consent form, state, code and refresh token within the limits of the endpoint it returns to", async () => {
    const clients = fc.oneof(
      registration.chain((metadata) =>
        fc.constant(metadata).map(async () => {
          try {
            const registered = await registry.register(metadata);
            return { clientId: registered.clientId, redirectUris: registered.metadata.redirect_uris };
          } catch {
            return undefined;
          }
        }),
      ),
      // A Client ID Metadata Document client: an https URL of up to 2,000 characters, its document listing redirect URIs of up to 2,000.
      fc.tuple(longPath(1970), fc.array(redirectUri, { minLength: 1, maxLength: 3 })).map(async ([path, uris]) => ({ clientId: `https://client.example/${path}`, redirectUris: uris })),
    );
    await fc.assert(
      fc.asyncProperty(clients, fc.nat(), challenge, fc.option(clientState, { nil: undefined }), entraOpaque, entraOpaque, async (pending, pick, cc, st, entraCode, entraRefresh) => {
        const client = await pending;
        fc.pre(client !== undefined);
        const r = client.redirectUris[pick % client.redirectUris.length]!;
        const base = { c: client.clientId, r, cc, s: ["mcp.access"], ...(st === undefined ? {} : { st }) };
        const request = await sealer.seal("consent", { ...base }, LIFETIMES.consent);
        const state = await sealer.seal("authorization", { ...base, ev: "v".repeat(64), b: "b".repeat(43) }, LIFETIMES.authorization);
        const code = await sealer.seal("code", { c: client.clientId, r, cc, s: ["mcp.access"], ec: entraCode, ev: "v".repeat(64) }, LIFETIMES.code);
        const refresh = await sealer.seal("refresh", { c: client.clientId, s: ["mcp.access"], rt: entraRefresh, f: "f".repeat(22) }, LIFETIMES.refresh);
        for (const [name, value] of [["request", request], ["state", state], ["code", code], ["refresh_token", refresh]] as const) {
          assert.ok(value.length <= MAX_SEALED_PARAMETER_LENGTH, `${name} is ${value.length} characters`);
          acceptsAs(name, value);
        }
        // The /token requests that carry them back, as a client sends them, fit the form limit too.
        const redemption = new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: "x".repeat(128), redirect_uri: r, client_id: client.clientId, resource: "https://contoso-mcp.azurewebsites.net/mcp" });
        const refreshing = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh, client_id: client.clientId, scope: "mcp.access", resource: "https://contoso-mcp.azurewebsites.net/mcp" });
        for (const form of [redemption, refreshing]) assert.ok(Buffer.byteLength(form.toString()) <= MAX_FORM_BYTES, `a /token form of ${Buffer.byteLength(form.toString())} bytes`);
      }),
      fuzzParameters(150, { shrink: false }),
    );
  });

  it("read any query string into parameters or refuse it with a ParameterError", () => {
    const queries = fc.oneof(
      anyText(600),
      trickyText(20),
      fc.array(fc.tuple(fc.constantFrom("client_id", "code", "state", "scope", "redirect_uri", "x"), fc.oneof(trickyText(4), fc.nat(20_000).map((length) => "a".repeat(length)))), { maxLength: 6 }).map((pairs) =>
        pairs.map(([name, value]) => `${name}=${value}`).join("&"),
      ),
    );
    fc.assert(
      fc.property(queries, (query) => {
        const search = new URLSearchParams(query);
        const names = [...search.keys()];
        let parameters: ReadonlyMap<string, string>;
        try {
          parameters = readParameters(search);
        } catch (error) {
          assert.ok(error instanceof ParameterError, String(error));
          const repeated = new Set(names).size !== names.length;
          const tooLong = [...search].some(([name, value]) => value.length > (["code", "refresh_token", "state", "request"].includes(name) ? MAX_SEALED_PARAMETER_LENGTH : MAX_PARAMETER_LENGTH));
          assert.ok(repeated || tooLong, `refused ${JSON.stringify(query.slice(0, 200))}: ${error.message}`);
          return;
        }
        assert.equal(parameters.size, names.length, "no parameter is repeated");
        for (const [name, value] of search) assert.equal(parameters.get(name), value);
      }),
      fuzzParameters(2000),
    );
  });
});
