import assert from "node:assert/strict";
import { createLogger, redactText, redactValue } from "../../lib/log.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";

const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaTovL3gifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("log redaction", () => {
  it("masks JWTs and bearer tokens inside any string", () => {
    const text = redactText(`call failed with ${JWT} and header Bearer abcdefgh12345678`);
    assert.ok(!text.includes(JWT.slice(0, 30)));
    assert.ok(!text.includes("abcdefgh12345678"));
    assert.match(text, /\[redacted-jwt\]/);
  });

  it("masks the facade's sealed values (compact JWE with an empty key segment) inside any string", async () => {
    const sealed = await new Sealer(parseKeyring(generateKeyringJson())).seal("refresh", { c: "client", s: "scope" }, 3600);
    assert.equal(sealed.split(".")[1], "", "a dir-mode JWE: the encrypted-key segment is empty");
    const text = redactText(`grant_type=refresh_token&refresh_token=${sealed}&client_id=x`);
    for (const segment of sealed.split(".").filter((part) => part.length >= 8)) assert.ok(!text.includes(segment), "no segment left");
    assert.match(text, /refresh_token=\[redacted-jwt\]&client_id=x/);
  });

  it("masks the value of an Authorization header written into a string, whatever its shape", () => {
    const values = ["sk-live-51HqLyjF8c2Xc0nTzQ9wRk", "Token 9f8e7d6c5b4a3928", "Basic dXNlcjpwYXNz", "ab", "Bearer short", "sk-live-4kq2 ghp_Zx81Qm0L"];
    for (const value of values) {
      const secret = value.split(" ").at(-1)!;
      for (const text of [
        `request headers: Authorization: ${value}\r\nHost: kit.example`,
        `{"host":"kit.example","authorization":"${value}","accept":"*/*"}`,
        `{ authorization: '${value}', host: 'kit.example' }`,
        `proxy-authorization=${value}`,
        `AUTHORIZATION:${value}`,
      ]) {
        const redacted = redactText(text);
        assert.ok(!redacted.includes(secret), `${JSON.stringify(text)} became ${JSON.stringify(redacted)}`);
        assert.match(redacted, /authorization["']?\s*[:=]\s*\[redacted\]/i);
      }
    }
    assert.equal(redactText('{"authorization":"k-1","host":"kit.example"}'), '{"authorization":[redacted],"host":"kit.example"}', "the members after it are kept");
    assert.equal(redactText("authorization_code grant; authorization server answered"), "authorization_code grant; authorization server answered", "prose is left alone");
  });

  it("drops credential-named fields whole, at any depth", () => {
    const redacted = redactValue({ user: "alice", access_token: "opaque-value", nested: { clientSecret: "s3cr3t", code: "abc" }, list: [{ refreshToken: "r" }] });
    assert.deepEqual(redacted, { user: "alice", access_token: "[redacted]", nested: { clientSecret: "[redacted]", code: "[redacted]" }, list: [{ refreshToken: "[redacted]" }] });
  });

  it("reduces errors to name, message and code, with tokens masked", () => {
    const error = Object.assign(new Error(`token ${JWT} rejected`), { code: "E_TOKEN" });
    const redacted = redactValue(error) as Record<string, unknown>;
    assert.equal(redacted["name"], "Error");
    assert.equal(redacted["code"], "E_TOKEN");
    assert.ok(!String(redacted["message"]).includes(JWT.slice(0, 30)));
    assert.ok(!String(redacted["stack"]).includes(JWT.slice(0, 30)));
  });

  it("filters by level and adds child fields", () => {
    const lines: string[] = [];
    const log = createLogger("info", (level, event, fields) => lines.push(`${level} ${event} ${JSON.stringify(fields)}`));
    log.debug("hidden");
    log.child({ invocationId: "inv-1" }).warn("shown", { authorization: `Bearer ${JWT}` });
    assert.deepEqual(lines, [`warn shown {"invocationId":"inv-1","authorization":"[redacted]"}`]);
  });
});
