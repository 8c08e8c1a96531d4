/**
 * The Authorization header parser under generated headers: it never throws,
 * it finds a token only in exactly one `Bearer <token68>` credential (scheme
 * in any case), and the token it returns is the one sent, character for
 * character.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readBearer } from "../../lib/auth/bearer.js";
import { anyText, fuzzParameters, trickyText } from "../support/fuzz.js";

const TOKEN68_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
const token68 = fc
  .tuple(fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS), minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 2 }))
  .map(([body, padding]) => body + "=".repeat(padding));
const jwtLike = fc
  .array(fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS.replace(/[.~+/]/g, "")), minLength: 1, maxLength: 200 }), { minLength: 3, maxLength: 3 })
  .map((parts) => parts.join("."));

/** What the header must look like for a token to be read, written independently of the parser. */
const ONE_BEARER = /^[ \t]*bearer +([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/** Headers as a request would carry them; values a Headers object refuses (CR, LF, NUL) cannot reach the parser at all. */
function headersWith(value: string): Headers | undefined {
  try {
    return new Headers({ authorization: value });
  } catch {
    return undefined;
  }
}

describe("Authorization header parser, properties", () => {
  it("reads back exactly the token of one Bearer credential, whatever the scheme's case and the surrounding blanks", () => {
    const schemes = fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR");
    fc.assert(
      fc.property(schemes, fc.oneof(token68, jwtLike), fc.constantFrom(" ", "  ", "   "), fc.constantFrom("", " ", "\t", "  "), (scheme, token, gap, edge) => {
        const credential = readBearer(headersWith(`${edge}${scheme}${gap}${token}${edge}`)!);
        assert.deepEqual(credential, { kind: "token", token });
      }),
      fuzzParameters(1000),
    );
  });

  it("finds a token only in a header made of one Bearer credential, and never throws", () => {
    const values = fc.oneof(
      anyText(300),
      trickyText(),
      fc.tuple(fc.constantFrom("Bearer ", "Basic ", "Bearer", "Bearer  ", "DPoP ", "Bearer\t", " Bearer ", "Bearer=", ""), fc.oneof(token68, trickyText(4), anyText(40)), fc.constantFrom("", ", Bearer x", " x", ",", "\t", " ")).map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(values, (value) => {
        const headers = headersWith(value);
        fc.pre(headers !== undefined);
        const credential = readBearer(headers);
        // Headers trims leading and trailing blanks, so the oracle judges the value the parser sees.
        const expected = ONE_BEARER.exec(headers.get("authorization") ?? "");
        if (credential.kind === "token") {
          assert.ok(expected !== null, `a token was read from ${JSON.stringify(value)}`);
          assert.equal(credential.token, expected[1]);
          assert.ok(credential.token.length <= 16 * 1024);
        } else if (credential.kind === "missing") {
          assert.equal((headers.get("authorization") ?? "").trim(), "", `${JSON.stringify(value)} counted as no credential`);
        } else {
          assert.ok(expected === null || expected[1]!.length > 16 * 1024, `${JSON.stringify(value)} refused: ${credential.reason}`);
          assert.equal(typeof credential.reason, "string");
        }
      }),
      fuzzParameters(3000),
    );
  });

  it("reads no token from two Authorization headers, however each is written", () => {
    fc.assert(
      fc.property(fc.oneof(token68, jwtLike), fc.oneof(token68, jwtLike, anyText(20)), (first, second) => {
        const headers = new Headers();
        headers.append("authorization", `Bearer ${first}`);
        const secondHeader = headersWith(`Bearer ${second}`);
        fc.pre(secondHeader !== undefined);
        headers.append("authorization", secondHeader.get("authorization")!);
        assert.notEqual(readBearer(headers).kind, "token");
      }),
      fuzzParameters(500),
    );
  });

  it("never repeats any part of a refused header in its reason: every reason is one of a fixed set", () => {
    const fixedReasons = new Set([
      "The Authorization header is malformed.",
      "Send Authorization: Bearer <token>; no other form is accepted.",
      "The Bearer token is empty.",
      "The Bearer token is too long.",
      "Send exactly one Bearer token.",
      ...["Basic", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM", "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid"].map(
        (scheme) => `The ${scheme} scheme is not accepted; send a Bearer token.`,
      ),
    ]);
    // Credentials sent without a scheme, or after one nobody registered, are the dangerous case: they parse as a scheme.
    const schemeLike = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~"), minLength: 1, maxLength: 60 });
    const values = fc.oneof(
      schemeLike,
      jwtLike,
      fc.tuple(schemeLike, fc.constantFrom(" ", "  "), fc.oneof(token68, jwtLike, anyText(40))).map((parts) => parts.join("")),
      fc.tuple(fc.constantFrom("basic", "DIGEST", "dpop", "Negotiate"), fc.constant(" "), token68).map((parts) => parts.join("")),
      anyText(200),
      trickyText(),
    );
    fc.assert(
      fc.property(values, (value) => {
        const headers = headersWith(value);
        fc.pre(headers !== undefined);
        const credential = readBearer(headers);
        if (credential.kind === "malformed") assert.ok(fixedReasons.has(credential.reason), `${JSON.stringify(value)} refused with ${JSON.stringify(credential.reason)}`);
      }),
      fuzzParameters(3000),
    );
  });

  it("refuses a token over 16 KiB and the scheme alone", () => {
    assert.equal(readBearer(new Headers({ authorization: `Bearer ${"a".repeat(16 * 1024 + 1)}` })).kind, "malformed");
    assert.equal(readBearer(new Headers({ authorization: `Bearer ${"a".repeat(16 * 1024)}` })).kind, "token");
    assert.equal(readBearer(new Headers({ authorization: "Bearer" })).kind, "malformed");
  });
});
