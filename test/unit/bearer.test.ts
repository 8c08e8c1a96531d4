import assert from "node:assert/strict";
import { readBearer } from "../../lib/auth/bearer.js";

const read = (value?: string) => readBearer(new Headers(value === undefined ? {} : { authorization: value }));

describe("Authorization header parsing", () => {
  it("reads exactly one Bearer token, scheme in any case", () => {
    assert.deepEqual(read("Bearer abc.def-ghi_jkl~mno+pqr/stu=="), { kind: "token", token: "abc.def-ghi_jkl~mno+pqr/stu==" });
    assert.deepEqual(read("bearer abc"), { kind: "token", token: "abc" });
  });

  it("treats an absent or blank header as no credentials", () => {
    assert.deepEqual(read(), { kind: "missing" });
    assert.deepEqual(read("   "), { kind: "missing" });
  });

  it("refuses other schemes, empty tokens, several tokens and junk", () => {
    for (const value of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Bearer a b", "Bearer a, Bearer b", "Bearer a,b", "Bearer <script>", 'Bearer "quoted"', "Bearer\ttab", "DPoP abc"]) {
      const result = read(value);
      assert.equal(result.kind, "malformed", value);
    }
  });

  it("refuses a token longer than any Entra token", () => {
    assert.equal(read(`Bearer ${"a".repeat(16 * 1024 + 1)}`).kind, "malformed");
  });

  it("refuses repeated Authorization headers", () => {
    const headers = new Headers();
    headers.append("authorization", "Bearer one");
    headers.append("authorization", "Bearer two");
    assert.equal(readBearer(headers).kind, "malformed");
  });
});
