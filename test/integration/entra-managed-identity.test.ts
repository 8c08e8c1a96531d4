/**
 * The fake App Service managed identity endpoint, driven by the real
 * @azure/identity ManagedIdentityCredential (in a child process, since it
 * reads IDENTITY_ENDPOINT / IDENTITY_HEADER from its environment), and the
 * stand-in accepting its token as the kit app's federated client assertion.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { decodeJwt } from "jose";
import {
  DEV_APPLICATIONS,
  DEV_TENANT_ID,
  FIC_IDENTITY,
  GRAPH_USER_READ,
  KIT_CLIENT_ID,
  ORDERS_SCOPE_URI,
  RUNTIME_IDENTITY,
} from "../../dev/defaults.js";
import { msalAuthorityOptions, TOKEN_EXCHANGE_AUDIENCE, type EntraStandIn } from "../../dev/entra/index.js";
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from "../../dev/managed-identity/index.js";
import { repoRoot } from "../../dev/tls.js";
import { kitTokenByPassword, postToken, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";

/** Variables that would send @azure/identity down another path than App Service. */
const OTHER_IDENTITY_VARIABLES = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT"];

/**
 * Runs ManagedIdentityCredential in a child process with the fake endpoint in
 * its environment; asks `times` times for `scope` and returns the tokens.
 */
async function tokensFromAzureIdentity(identity: ManagedIdentityEndpoint, clientId: string | undefined, scope: string, times = 1): Promise<string[]> {
  const script = `
    import { ManagedIdentityCredential } from "@azure/identity";
    const credential = new ManagedIdentityCredential(${clientId === undefined ? "" : JSON.stringify({ clientId })});
    const tokens = [];
    for (let i = 0; i < ${times}; i++) tokens.push((await credential.getToken(${JSON.stringify(scope)})).token);
    process.stdout.write(JSON.stringify(tokens));
  `;
  const env: NodeJS.ProcessEnv = { ...process.env, ...identity.env() };
  for (const name of OTHER_IDENTITY_VARIABLES) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot(), env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe("fake managed identity endpoint", () => {
  let entra: EntraStandIn;
  let identity: ManagedIdentityEndpoint;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
    identity = await startManagedIdentityEndpoint({ entra });
  });
  after(() => Promise.all([entra.close(), identity.close()]));
  beforeEach(() => {
    identity.reset();
    identity.clearFaults();
    entra.clearFaults();
  });

  it("serves @azure/identity ManagedIdentityCredential the token-exchange assertion of a user-assigned identity", async () => {
    const [token] = await tokensFromAzureIdentity(identity, FIC_IDENTITY.clientId, `${TOKEN_EXCHANGE_AUDIENCE}/.default`);
    const claims = decodeJwt(token!);
    assert.equal(claims.iss, entra.issuer(DEV_TENANT_ID));
    assert.equal(claims.sub, FIC_IDENTITY.principalId);
    assert.equal(claims.oid, FIC_IDENTITY.principalId);
    assert.equal(claims.aud, TOKEN_EXCHANGE_AUDIENCE);
    assert.equal(claims.tid, DEV_TENANT_ID);
    assert.deepEqual(
      identity.requests.map((request) => [request.resource, request.clientId, request.apiVersion, request.status]),
      [[TOKEN_EXCHANGE_AUDIENCE, FIC_IDENTITY.clientId, "2019-08-01", 200]],
    );
  });

  it("is asked once by a credential that needs the token three times (the credential caches)", async () => {
    const tokens = await tokensFromAzureIdentity(identity, FIC_IDENTITY.clientId, `${TOKEN_EXCHANGE_AUDIENCE}/.default`, 3);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(identity.tokenCount, 1);
  });

  it("answers a request without client id for the system-assigned identity, v1-shaped for Key Vault", async () => {
    const [token] = await tokensFromAzureIdentity(identity, undefined, "https://vault.azure.net/.default");
    const claims = decodeJwt(token!);
    assert.equal(claims.aud, "https://vault.azure.net");
    assert.equal(claims.iss, `https://sts.windows.net/${DEV_TENANT_ID}/`);
    assert.equal(claims.oid, RUNTIME_IDENTITY.principalId);
    assert.equal(claims.appid, RUNTIME_IDENTITY.clientId);
    assert.equal(identity.requests[0]?.clientId, null);
  });

  it("refuses a wrong identity header, a wrong api-version and an unknown identity", async () => {
    const url = (query: Record<string, string>): string => `${identity.endpoint}?${new URLSearchParams(query).toString()}`;
    const good = { resource: TOKEN_EXCHANGE_AUDIENCE, "api-version": "2019-08-01", client_id: FIC_IDENTITY.clientId };
    assert.equal((await fetch(url(good), { headers: { "X-IDENTITY-HEADER": "guess" } })).status, 401);
    assert.equal((await fetch(url(good))).status, 401);
    assert.equal((await fetch(url({ ...good, "api-version": "2018-02-01" }), { headers: { "X-IDENTITY-HEADER": identity.identityHeader } })).status, 400);
    assert.equal((await fetch(url({ ...good, client_id: "00000000-0000-4000-8000-000000000000" }), { headers: { "X-IDENTITY-HEADER": identity.identityHeader } })).status, 400);
    const ok = await fetch(url(good), { headers: { "X-IDENTITY-HEADER": identity.identityHeader } });
    const body = (await ok.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ["access_token", "client_id", "expires_on", "resource", "token_type"]);
    assert.match(String(body.expires_on), /^\d+$/);
    assert.ok(identity.requests.every((record) => !JSON.stringify(record).includes(identity.identityHeader)));
  });

  it("can fail and recover", async () => {
    identity.fail({ kind: "server_error", status: 503 }, 1);
    const headers = { "X-IDENTITY-HEADER": identity.identityHeader };
    const url = `${identity.endpoint}?resource=${encodeURIComponent(TOKEN_EXCHANGE_AUDIENCE)}&api-version=2019-08-01&client_id=${FIC_IDENTITY.clientId}`;
    assert.equal((await fetch(url, { headers })).status, 503);
    assert.equal((await fetch(url, { headers })).status, 200);
  });

  it("is the kit app's secretless credential: msal clientAssertion + OBO, accepted as a federated credential", async () => {
    const [assertion] = await tokensFromAzureIdentity(identity, FIC_IDENTITY.clientId, `${TOKEN_EXCHANGE_AUDIENCE}/.default`);
    const app = new ConfidentialClientApplication({ auth: { clientId: KIT_CLIENT_ID, clientAssertion: async () => assertion!, ...msalAuthorityOptions(entra) } });
    const user = String((await kitTokenByPassword(entra, "alice")).access_token);
    for (const scope of [GRAPH_USER_READ, ORDERS_SCOPE_URI]) {
      const result = await app.acquireTokenOnBehalfOf({ oboAssertion: user, scopes: [scope] });
      assert.ok(result);
      assert.equal(decodeJwt(result.accessToken).oid, decodeJwt(user).oid);
    }
    const records = entra.activity.records({ grantType: "obo" }).slice(-2);
    assert.deepEqual(records.map((record) => record.clientAuth), ["federated", "federated"]);
    assert.equal(identity.tokenCount, 1);
  });

  it("refuses an assertion whose subject, audience or issuer matches no federated credential", async () => {
    const exchange = async (assertion: string): Promise<unknown> =>
      (
        await postToken(entra.endpoints().token, {
          grant_type: "client_credentials",
          client_id: KIT_CLIENT_ID,
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
          scope: "api://contoso-orders/.default",
        })
      ).body.error_codes;
    const wrongSubject = await entra.issueManagedIdentityToken(RUNTIME_IDENTITY.clientId, TOKEN_EXCHANGE_AUDIENCE);
    assert.deepEqual(await exchange(wrongSubject.token), [700213]);
    const wrongAudience = await entra.issueManagedIdentityToken(FIC_IDENTITY.clientId, "api://something-else");
    assert.deepEqual(await exchange(wrongAudience.token), [700212]);
    const right = await entra.issueManagedIdentityToken(FIC_IDENTITY.clientId, TOKEN_EXCHANGE_AUDIENCE);
    assert.equal(await exchange(right.token), undefined);
    const otherIssuer = await entra.mintAccessToken({ audience: KIT_CLIENT_ID, appOnly: true, claims: { iss: "https://token.actions.githubusercontent.com", sub: FIC_IDENTITY.principalId, aud: TOKEN_EXCHANGE_AUDIENCE } });
    assert.deepEqual(await exchange(otherIssuer), [700211]);
  });

  it("refuses an expired assertion (AADSTS700024)", async () => {
    let now = Date.now();
    const timed = await startDefaultStandIn({ clock: () => now, applications: DEV_APPLICATIONS });
    try {
      const assertion = await timed.issueManagedIdentityToken(FIC_IDENTITY.clientId, TOKEN_EXCHANGE_AUDIENCE);
      now += (assertion.expiresIn + 60) * 1000;
      const result = await postToken(timed.endpoints().token, {
        grant_type: "client_credentials",
        client_id: KIT_CLIENT_ID,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion.token,
        scope: "api://contoso-orders/.default",
      });
      assert.deepEqual(result.body.error_codes, [700024]);
    } finally {
      await timed.close();
    }
  });
});
