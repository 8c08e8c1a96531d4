/**
 * No secret reaches a log line. Real clients sign in through the facade,
 * refresh, call tools that use On-Behalf-Of (with a client secret, and with
 * the managed identity credential and Key Vault), and run into failures;
 * meanwhile every credential that crosses `fetch` is collected (access and
 * refresh tokens, ours and Entra's; authorization codes, ours and Entra's;
 * PKCE verifiers, client secret, client assertions, sealed values, cookies)
 * together with the sealing keys. Then every line the kit logged (its own
 * logger, the invocation log, the host's access log) is searched for each of
 * them, whole and by distinctive 16-character pieces.
 */
import assert from "node:assert/strict";
import { FIC_IDENTITY, KIT_DEV_CLIENT_SECRET } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { startFakeKeyVault, type FakeKeyVault } from "../../dev/key-vault/index.js";
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from "../../dev/managed-identity/index.js";
import { createLogger } from "../../lib/log.js";
import { generateKeyringJson } from "../../lib/oauth/sealing.js";
import { keyVaultSecrets } from "../../lib/secrets/index.js";
import type { ClientKind } from "../support/clients.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, proxyEnv, startProxyKit } from "../support/facade.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { LogCapture } from "../support/log-capture.js";
import { callTool } from "../support/mcp-calls.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";
import { SecretHarvest, type SecretKind } from "../support/secret-harvest.js";

const REDIRECT = "http://127.0.0.1:45680/callback";

describe("log hygiene: no secret in any log line", function () {
  this.timeout(90_000);
  const harvest = new SecretHarvest();
  let uninstall: () => void;
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let identity: ManagedIdentityEndpoint;
  let vault: FakeKeyVault;
  const vaultLogs = new LogCapture();
  const kits: RunningKit[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  function remember(provider: HeadlessOAuthProvider): void {
    const tokens = provider.tokens();
    harvest.add("access token", tokens?.access_token);
    harvest.add("refresh token", tokens?.refresh_token);
    harvest.add("PKCE verifier", provider.codeVerifier());
    harvest.add("authorization code", provider.code);
  }

  function rememberKeyring(json: string): void {
    harvest.add("sealing key", json);
    for (const key of Object.values((JSON.parse(json) as { keys: Record<string, string> }).keys)) harvest.add("sealing key", key);
  }

  /** Signs in with a real client, calls tools, refreshes, calls again. */
  async function session(kit: RunningKit, kind: ClientKind, user: string): Promise<HeadlessOAuthProvider> {
    const provider = new HeadlessOAuthProvider({
      redirectUrl: REDIRECT,
      clientMetadata: { client_name: `Hygiene ${kind}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user }),
    });
    const client = await connectWithOAuth(kind, kit.mcpUrl, provider);
    try {
      assert.equal((await client.callTool("whoami", {})).isError, undefined);
      const profile = await client.callTool("graph_me", {});
      assert.equal(profile.isError, undefined, JSON.stringify(profile));
      remember(provider);
      provider.forgetAccessToken();
      assert.equal((await client.callTool("whoami", {})).isError, undefined, "the client refreshed");
      remember(provider);
    } finally {
      await client.close();
    }
    return provider;
  }

  async function postToken(kit: RunningKit, fields: Record<string, string>): Promise<number> {
    const response = await fetch(new URL("/token", kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
    await response.arrayBuffer();
    return response.status;
  }

  before(async () => {
    requireDevTlsTrust();
    // Before any kit exists: the kit's Entra client and key fetcher keep the fetch they were built with.
    uninstall = harvest.install();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    identity = await startManagedIdentityEndpoint({ entra: standIn });
    vault = await startFakeKeyVault();
    harvest.add("client secret", KIT_DEV_CLIENT_SECRET);
    harvest.add("vault token", vault.token);
    for (const [name, value] of Object.entries({ GRAPH_BASE_URL: graph.graphBaseUrl, ORDERS_API_URL: graph.ordersUrl, ...identity.env() })) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    harvest.add("bearer credential", identity.env().IDENTITY_HEADER);
  });
  after(async () => {
    uninstall?.();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const kit of kits) await kit.close();
    await Promise.all([graph?.close(), identity?.close(), vault?.close()]);
    await standIn?.close();
  });

  it("signs in, refreshes and calls On-Behalf-Of tools with a client secret, then meets failures, logging no secret", async () => {
    const keyring = generateKeyringJson("hygiene");
    rememberKeyring(keyring);
    const kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: keyring } });
    kits.push(kit);
    const v2 = await session(kit, "v2-auto", "alice");
    const v1 = await session(kit, "v1", "bob");

    // Failures, each with real credentials in play.
    const token = v2.tokens()!.access_token;
    standIn.fail("consent_required", { grantType: "obo", times: 1 });
    assert.equal((await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "hygiene-consent" } }), "graph_me")).isError, true);
    const [header, payload, signature] = token.split(".");
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    harvest.add("access token", forged);
    assert.equal((await callTool(kit.mcpUrl, forged, "whoami")).status, 401);
    const expired = await standIn.mintAccessToken({ user: "alice", claims: { exp: 1 } });
    harvest.add("access token", expired);
    assert.equal((await callTool(kit.mcpUrl, expired, "whoami")).status, 401);
    const clientId = v2.clientInformation()!.client_id;
    assert.equal(await postToken(kit, { grant_type: "authorization_code", code: `${v2.code!.slice(0, -8)}AAAAAAAA`, code_verifier: v2.codeVerifier(), redirect_uri: REDIRECT, client_id: clientId }), 400);
    assert.equal(await postToken(kit, { grant_type: "refresh_token", refresh_token: v1.tokens()!.refresh_token!, client_id: clientId }), 400, "another client's refresh token");
    standIn.fail("invalid_grant", { grantType: "refresh_token", times: 1 });
    assert.equal(await postToken(kit, { grant_type: "refresh_token", refresh_token: v2.tokens()!.refresh_token!, client_id: clientId }), 400);
    await standIn.stop();
    try {
      assert.equal(await postToken(kit, { grant_type: "refresh_token", refresh_token: v2.tokens()!.refresh_token!, client_id: clientId }), 503);
    } finally {
      await standIn.start();
    }
    // A replayed code, last: the facade refuses it and revokes the sign-in it started (v2's refresh tokens).
    assert.equal(await postToken(kit, { grant_type: "authorization_code", code: v2.code!, code_verifier: v2.codeVerifier(), redirect_uri: REDIRECT, client_id: clientId }), 400);
    assert.equal(await postToken(kit, { grant_type: "refresh_token", refresh_token: v2.tokens()!.refresh_token!, client_id: clientId }), 400, "the revoked sign-in's refresh token");
    const wrongRedirect = new URL("/authorize", kit.baseUrl);
    wrongRedirect.search = new URLSearchParams({ client_id: clientId, redirect_uri: "https://evil.example/cb", response_type: "code", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256", state: "state-of-the-client-1234567890" }).toString();
    assert.equal((await fetch(wrongRedirect)).status, 400);
  });

  // In process, so that the harvest sees the assertion. msal-node keeps the first managed identity endpoint a
  // process uses (a static field): tests pointing @azure/identity at another endpoint run it in a child process.
  it("signs in and calls On-Behalf-Of tools with the managed identity credential and secrets from Key Vault, logging no secret", async () => {
    const keyring = generateKeyringJson("hygiene-vault");
    rememberKeyring(keyring);
    vault.setSecret("sealing-keyring", keyring);
    const secrets = keyVaultSecrets({ vaultUrl: vault.vaultUrl, credential: vault.credential(), log: createLogger("debug", vaultLogs.sink) });
    const kit = await startKit({
      env: proxyEnv(standIn, { APP_CREDENTIAL: "managed-identity", FIC_IDENTITY_CLIENT_ID: FIC_IDENTITY.clientId, ENTRA_CLIENT_SECRET: "" }),
      secrets,
    });
    kits.push(kit);
    await session(kit, "v2-legacy", "alice");
    assert.ok(identity.tokenCount >= 1, "the managed identity issued the assertion");
  });

  it("found every kind of secret it looks for, so the search means something", async () => {
    await harvest.settle();
    // The On-Behalf-Of assertion is the user's access token, counted as such.
    const wanted: SecretKind[] = ["access token", "refresh token", "authorization code", "PKCE verifier", "client secret", "client assertion", "sealed state or form", "cookie", "sealing key", "bearer credential", "vault token"];
    const kinds = harvest.kinds();
    assert.deepEqual(wanted.filter((kind) => !kinds.has(kind)), []);
    const values = [...harvest.secrets.keys()];
    assert.ok(values.some((value) => value.startsWith("1.AR")), "Entra's refresh tokens");
    assert.ok(values.some((value) => value.startsWith("1.AQ")), "Entra's authorization codes");
    assert.ok([...harvest.secrets].some(([value, kind]) => kind === "refresh token" && value.startsWith("eyJ")), "the facade's refresh tokens");
    assert.ok([...harvest.secrets].some(([value, kind]) => kind === "authorization code" && value.startsWith("eyJ")), "the facade's codes");
    assert.ok([...harvest.secrets].some(([, kind]) => kind === "client assertion"), "the federated credential's assertion");
  });

  it("finds none of them, nor a 16-character piece of one, in any log line", async () => {
    await harvest.settle();
    const lines = [...kits.flatMap((kit) => kit.logs.lines.map((line) => line.text)), ...vaultLogs.lines.map((line) => line.text)];
    assert.ok(lines.length > 50, `only ${lines.length} log lines: the flows above did not run`);
    assert.ok(lines.some((line) => line.includes("/auth/callback")), "the host's access log is included");
    const leaks = harvest.leaksIn(lines);
    assert.deepEqual(
      leaks.map((leak) => `${leak.kind}: ${leak.fragment.slice(0, 24)}… in ${leak.line.slice(0, 200)}`),
      [],
      `${harvest.secrets.size} secrets searched for in ${lines.length} lines`,
    );
  });
});
