/**
 * Sealed values under arbitrary tampering: whatever is done to a sealed
 * string (a character changed, bits flipped, pieces cut, added or moved, the
 * header rewritten, another purpose or key asked for), unsealing refuses it
 * with an UnsealError, never with another error and never with content.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { base64url } from "jose";
import { generateKeyringJson, parseKeyring, Sealer, UnsealError, type SealPurpose } from "../../lib/oauth/sealing.js";
import { fuzzParameters } from "../support/fuzz.js";

const PURPOSES: readonly SealPurpose[] = ["client", "consent", "authorization", "code", "refresh", "approvals"];
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const sealer = new Sealer(parseKeyring(generateKeyringJson("k1")));

const payloads = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }).filter((key) => !["iat", "exp", "__proto__"].includes(key)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 6 },
);
const purposes = fc.constantFrom(...PURPOSES);

async function refused(purpose: SealPurpose, value: string, using: Sealer = sealer): Promise<boolean> {
  try {
    await using.unseal(purpose, value);
    return false;
  } catch (error) {
    if (error instanceof UnsealError) return true;
    throw new Error(`unseal threw ${String(error)} instead of an UnsealError`);
  }
}

/** Ways to alter a string, each given the sealed value and returning the altered one. */
const tamperings: fc.Arbitrary<(sealed: string) => string> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...(BASE64URL + ".=+/ é\u0000"))).map(([at, character]) => (sealed: string) => {
    const index = at % sealed.length;
    return sealed.slice(0, index) + character + sealed.slice(index + 1);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([at, length]) => (sealed: string) => {
    const index = at % sealed.length;
    return sealed.slice(0, index) + sealed.slice(index + length);
  }),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 12 })).map(([at, inserted]) => (sealed: string) => {
    const index = at % (sealed.length + 1);
    return sealed.slice(0, index) + inserted + sealed.slice(index);
  }),
  fc.tuple(fc.nat(4), fc.nat(4)).map(([a, b]) => (sealed: string) => {
    const segments = sealed.split(".");
    [segments[a], segments[b]] = [segments[b]!, segments[a]!];
    return segments.join(".");
  }),
  fc.tuple(fc.nat(4), fc.nat(), fc.integer({ min: 0, max: 7 })).map(([segment, at, bit]) => (sealed: string) => {
    const segments = sealed.split(".");
    const bytes = base64url.decode(segments[segment]!);
    if (bytes.length === 0) segments[segment] = base64url.encode(new Uint8Array([1 << bit]));
    else {
      bytes[at % bytes.length]! ^= 1 << bit;
      segments[segment] = base64url.encode(bytes);
    }
    return segments.join(".");
  }),
);

describe("sealed values, properties", () => {
  it("return exactly what was sealed, for any JSON payload and purpose", async () => {
    await fc.assert(
      fc.asyncProperty(purposes, payloads, async (purpose, payload) => {
        const opened = await sealer.unseal<Record<string, unknown>>(purpose, await sealer.seal(purpose, payload, 60));
        const { iat: _iat, exp: _exp, ...rest } = opened;
        assert.deepEqual(rest, JSON.parse(JSON.stringify(payload)));
      }),
      fuzzParameters(200),
    );
  });

  it("refuse any alteration of the sealed string", async () => {
    await fc.assert(
      fc.asyncProperty(purposes, payloads, tamperings, async (purpose, payload, tamper) => {
        const sealed = await sealer.seal(purpose, payload, 60);
        const altered = tamper(sealed);
        fc.pre(altered !== sealed);
        assert.ok(await refused(purpose, altered), `an altered value was accepted: ${altered}`);
      }),
      fuzzParameters(600),
    );
  });

  it("refuse every other spelling of the last character of each segment", async () => {
    // Base64url's spare bits: decoders read these spellings as the same bytes.
    const sealed = await sealer.seal("code", { c: "client", ec: "entra-code" }, 60);
    const segments = sealed.split(".");
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      if (segment === "") continue;
      for (const character of BASE64URL) {
        if (character === segment.at(-1)) continue;
        const altered = [...segments];
        altered[index] = segment.slice(0, -1) + character;
        assert.ok(await refused("code", altered.join(".")), `segment ${index} ending in ${character} was accepted`);
      }
    }
  });

  it("refuse a value sealed for one purpose when any other is asked for", async () => {
    await fc.assert(
      fc.asyncProperty(purposes, purposes, payloads, async (sealedAs, askedFor, payload) => {
        fc.pre(sealedAs !== askedFor);
        assert.ok(await refused(askedFor, await sealer.seal(sealedAs, payload, 60)));
      }),
      fuzzParameters(200),
    );
  });

  it("refuse a header rewritten to claim another purpose, key or algorithm", async () => {
    const rewrites = fc.record({
      typ: fc.option(purposes.map((purpose) => `mcpkit-${purpose}+jwt`), { nil: undefined }),
      kid: fc.option(fc.constantFrom("k1", "k2", ""), { nil: undefined }),
      alg: fc.option(fc.constantFrom("dir", "none", "A256KW"), { nil: undefined }),
      extra: fc.option(fc.jsonValue({ maxDepth: 1 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(purposes, purposes, payloads, rewrites, async (sealedAs, askedFor, payload, rewrite) => {
        const sealed = await sealer.seal(sealedAs, payload, 60);
        const [header, ...rest] = sealed.split(".");
        const fields = JSON.parse(new TextDecoder().decode(base64url.decode(header!))) as Record<string, unknown>;
        const changed = { ...fields, ...Object.fromEntries(Object.entries(rewrite).filter(([, value]) => value !== undefined)) };
        const altered = [base64url.encode(JSON.stringify(changed)), ...rest].join(".");
        fc.pre(altered !== sealed);
        assert.ok(await refused(askedFor, altered), `a rewritten header was accepted: ${JSON.stringify(changed)}`);
      }),
      fuzzParameters(300),
    );
  });

  it("refuse a value sealed under another key with the same key id", async () => {
    const impostor = new Sealer(parseKeyring(generateKeyringJson("k1")));
    await fc.assert(
      fc.asyncProperty(purposes, payloads, async (purpose, payload) => {
        assert.ok(await refused(purpose, await impostor.seal(purpose, payload, 60)));
      }),
      fuzzParameters(100),
    );
  });

  it("refuse arbitrary strings with an UnsealError, never another error", async () => {
    const strings = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.array(fc.string({ unit: fc.constantFrom(...(BASE64URL + "=")), maxLength: 60 }), { minLength: 1, maxLength: 7 }).map((parts) => parts.join(".")),
    );
    await fc.assert(
      fc.asyncProperty(purposes, strings, async (purpose, value) => {
        assert.ok(await refused(purpose, value));
      }),
      fuzzParameters(500),
    );
  });
});
