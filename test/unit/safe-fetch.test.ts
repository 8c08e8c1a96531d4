import assert from "node:assert/strict";
import { type AddressClass, classifyAddress, isPublicAddress, PrivateHostAllowList } from "../../lib/oauth/safe-fetch.js";

describe("address classification for outbound fetches", () => {
  const table: ReadonlyArray<readonly [string, AddressClass]> = [
    // IPv4
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["192.0.2.10", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.99", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["168.63.129.16", "cloud-platform"],
    ["192.0.0.8", "reserved"],
    ["192.88.99.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    // IPv6
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fd00::1", "unique-local"],
    ["fc00::abcd", "unique-local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001:2::1", "benchmarking"],
    ["2001::1", "reserved"],
    ["2002:a00:5::1", "reserved"],
    ["100::1", "reserved"],
    ["64:ff9b:1::1", "reserved"],
    ["::a00:5", "reserved"],
    ["4000::1", "reserved"],
    // IPv4 inside IPv6 is judged by the IPv4 address
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a00:5", "private"],
    ["::FFFF:169.254.169.254", "link-local"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::a00:5", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    // public
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["172.32.0.1", "public"],
    ["100.128.0.1", "public"],
    ["2606:4700:4700::1111", "public"],
    ["2a00:1450:4001:81c::200e", "public"],
    // not addresses
    ["", "invalid"],
    ["localhost", "invalid"],
    ["10.0.0.256", "invalid"],
    ["1::2::3", "invalid"],
    ["[::1]", "invalid"],
  ];
  for (const [address, expected] of table) {
    it(`classifies ${address === "" ? '""' : address} as ${expected}`, () => {
      assert.equal(classifyAddress(address), expected);
      assert.equal(isPublicAddress(address), expected === "public");
    });
  }
});

describe("the private-host allow-list", () => {
  it("matches host and port, or any port when the entry names none", () => {
    const list = new PrivateHostAllowList(["127.0.0.1:8443", "LocalHost", "[::1]:9000"]);
    assert.equal(list.allows(new URL("https://127.0.0.1:8443/x")), true);
    assert.equal(list.allows(new URL("https://127.0.0.1:8444/x")), false);
    assert.equal(list.allows(new URL("https://127.0.0.1/x")), false);
    assert.equal(list.allows(new URL("https://localhost:1234/x")), true);
    assert.equal(list.allows(new URL("https://localhost/x")), true);
    assert.equal(list.allows(new URL("https://[::1]:9000/x")), true);
    assert.equal(list.allows(new URL("https://[::1]:9001/x")), false);
    assert.equal(list.allows(new URL("https://localhost.attacker.example/x")), false);
  });

  it("treats port 443 as the https default port", () => {
    const list = new PrivateHostAllowList(["dev.internal:443"]);
    assert.equal(list.allows(new URL("https://dev.internal/x")), true);
    assert.equal(list.allows(new URL("https://dev.internal:8443/x")), false);
  });

  it("allows nothing when empty", () => {
    assert.equal(new PrivateHostAllowList([]).allows(new URL("https://127.0.0.1/x")), false);
  });

  for (const entry of ["https://localhost", "localhost/x", "user@localhost", "localhost:99999", "", "::1"]) {
    it(`rejects the malformed entry ${JSON.stringify(entry)}`, () => {
      assert.throws(() => new PrivateHostAllowList([entry]), TypeError);
    });
  }
});
