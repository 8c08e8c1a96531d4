/**
 * The shared MSAL client of `msal()` keeps its token cache bounded: MSAL's
 * own in-memory cache would grow with every user of a long-lived process.
 */
import assert from "node:assert/strict";
import { DEV_TENANT_ID, DEV_TENANTS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { loadConfig } from "../../lib/config.js";
import { ClientSecretCredential } from "../../lib/entra/app-credential.js";
import { createLogger } from "../../lib/log.js";
import { createMsalClient } from "../../lib/obo/msal.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { LogCapture } from "../support/log-capture.js";

describe("the shared MSAL client", function () {
  this.timeout(120_000);
  let standIn: EntraStandIn;
  const USERS = 150;
  const manyUsers = Array.from({ length: USERS }, (_, index) => ({
    alias: `user${index}`,
    displayName: `User ${index}`,
    upn: `user${index}@contoso.example`,
    oid: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
  }));

  before(async () => {
    requireDevTlsTrust();
    // MSAL's cache grows per account, so the test needs many distinct users.
    standIn = await startDefaultStandIn({ tenants: [{ ...DEV_TENANTS[0]!, users: [...DEV_TENANTS[0]!.users, ...manyUsers] }, ...DEV_TENANTS.slice(1)] });
  });
  after(async () => standIn?.close());

  it("keeps its token cache under the bound however many users pass through it", async () => {
    const settings = loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: DEV_TENANT_ID, ENTRA_CLIENT_ID: KIT_CLIENT_ID, ENTRA_AUTHORITY_HOST: standIn.origin }).entra!;
    const logs = new LogCapture();
    const maxEntries = 40;
    const client = await createMsalClient(settings, new ClientSecretCredential(async () => KIT_DEV_CLIENT_SECRET), createLogger("info", logs.sink), maxEntries);
    let largest = 0;
    for (let user = 0; user < USERS; user++) {
      const assertion = await standIn.mintAccessToken({ user: `user${user}` });
      const result = await client.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: ["https://graph.microsoft.com/User.Read"] });
      assert.ok(result?.accessToken);
      largest = Math.max(largest, Object.keys(client.getTokenCache().getKVStore()).length);
    }
    assert.ok(largest <= maxEntries + 4, `the cache held ${largest} entries`);
    assert.ok(logs.matching("msal.cache_emptied").length > 0, "the bound was reached and enforced");
  });
});
