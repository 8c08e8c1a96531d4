import assert from "node:assert/strict";
import { base64url } from "jose";
import { generateKeyringJson, KeyringError, parseKeyring, Sealer, UnsealError, type UnsealFailure } from "../../lib/oauth/sealing.js";

async function refusal(promise: Promise<unknown>): Promise<UnsealFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UnsealError, String(error));
    return error.reason;
  }
  assert.fail("the sealed value was accepted");
}

describe("sealed values", () => {
  const keyring = parseKeyring(generateKeyringJson("k1"));
  const sealer = new Sealer(keyring);

  it("round-trips a payload for the same purpose and hides it", async () => {
    const sealed = await sealer.seal("code", { client: "abc", scopes: ["mcp.access"] }, 60);
    assert.doesNotMatch(sealed, /abc|mcp\.access/);
    assert.doesNotMatch(Buffer.from(sealed.split(".")[3] ?? "", "base64url").toString("latin1"), /mcp\.access/);
    const payload = await sealer.unseal<{ client: string; scopes: string[] }>("code", sealed);
    assert.equal(payload.client, "abc");
    assert.deepEqual(payload.scopes, ["mcp.access"]);
    assert.ok(payload.exp - payload.iat === 60);
  });

  it("refuses a value sealed for another purpose", async () => {
    const code = await sealer.seal("code", { client: "abc" }, 60);
    assert.equal(await refusal(sealer.unseal("refresh", code)), "wrong_purpose");
  });

  it("refuses any altered part", async () => {
    const sealed = await sealer.seal("refresh", { rt: "x" }, 60);
    const parts = sealed.split(".");
    for (let index = 0; index < parts.length; index++) {
      const altered = [...parts];
      const bytes = base64url.decode(altered[index] === "" ? "AA" : altered[index]!);
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      altered[index] = base64url.encode(bytes);
      const reason = await refusal(sealer.unseal("refresh", altered.join(".")));
      assert.ok(["malformed", "tampered", "wrong_purpose", "unknown_key"].includes(reason), `part ${index}: ${reason}`);
    }
  });

  it("refuses expired values and values under keys no longer in the ring", async () => {
    const expired = await sealer.seal("code", {}, -1);
    assert.equal(await refusal(sealer.unseal("code", expired)), "expired");
    const other = new Sealer(parseKeyring(generateKeyringJson("k2")));
    assert.equal(await refusal(sealer.unseal("code", await other.seal("code", {}, 60))), "unknown_key");
    assert.equal(await refusal(sealer.unseal("code", "not-a-jwe")), "malformed");
  });

  it("keeps unsealing with the previous key after rotation", async () => {
    const old = JSON.parse(generateKeyringJson("2026-05")) as { keys: Record<string, string> };
    const next = JSON.parse(generateKeyringJson("2026-11")) as { keys: Record<string, string> };
    const before = new Sealer(parseKeyring(JSON.stringify({ current: "2026-05", keys: old.keys })));
    const sealed = await before.seal("client", { name: "x" }, 600);
    const after = new Sealer(parseKeyring(JSON.stringify({ current: "2026-11", keys: { ...old.keys, ...next.keys } })));
    assert.equal((await after.unseal<{ name: string }>("client", sealed)).name, "x");
  });

  it("refuses unusable keyrings with a message that contains no key", () => {
    const short = base64url.encode(new Uint8Array(16));
    for (const json of ["", "[]", '{"current":"a","keys":{}}', `{"current":"a","keys":{"a":"${short}"}}`, '{"current":"a b","keys":{"a b":"x"}}']) {
      assert.throws(() => parseKeyring(json), (error: unknown) => error instanceof KeyringError && !error.message.includes(short), json);
    }
  });
});
