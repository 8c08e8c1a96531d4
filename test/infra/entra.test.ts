/**
 * The Entra app registration, its service principal and its federated
 * credential, compiled from infra/modules/entra-*.bicep (Graph extension).
 */
import assert from "node:assert/strict";
import { at, PUBLIC_CLOUD, type ArmValue } from "./support/arm.js";
import { compiledInfra, FACTS, mainDeployment } from "./support/compiled.js";

const VS_CODE = "aebc6443-996d-45c2-90f0-388ff96faa56";
const MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000";

/** Stand-in for Graph's service principal: permission name → id. */
const graphServicePrincipal = {
  oauth2PermissionScopes: ["openid", "profile", "offline_access", "email", "User.Read", "Mail.Read"].map((value, i) => ({
    value,
    id: `00000000-0000-4000-8000-00000000000${i}`,
  })),
};

describe("infra: Entra app registration", function () {
  this.timeout(300_000);

  /** The deployment, each API's service principal standing in for the one the deployment reads (Graph first). */
  const deploy = async (overrides: { readonly [name: string]: ArmValue } = {}, downstreamPrincipals: readonly ArmValue[] = []) => {
    const main = mainDeployment(await compiledInfra(), overrides);
    const principals = Object.fromEntries([graphServicePrincipal, ...downstreamPrincipals].map((principal, i) => [`apiPrincipals[${i}]`, principal]));
    const entra = main.module("entra-app", principals);
    return { main, entra, app: entra.resource("Microsoft.Graph/applications") };
  };

  it("asks Entra for v2 access tokens", async () => {
    const { app } = await deploy();
    assert.equal(at(app.properties, "api", "requestedAccessTokenVersion"), 2);
  });

  it("has an identifier URI that names the tenant, and gives the same URI to the app", async () => {
    const { main, app } = await deploy();
    const uniqueName = String(at(app.properties, "uniqueName"));
    assert.deepEqual(at(app.properties, "identifierUris"), [`api://${FACTS.tenantId}/${uniqueName}`]);
    assert.equal(main.module("entra-app").output("identifierUri"), `api://${FACTS.tenantId}/${uniqueName}`);
    const settings = main.module("function-app").resource("Microsoft.Web/sites/config").properties as Record<string, unknown>;
    assert.equal(String(settings["ENTRA_IDENTIFIER_URI"]), "⟨reference(entraApp).outputs.identifierUri.value⟩");
    assert.equal(String(settings["ENTRA_CLIENT_ID"]), "⟨reference(entraApp).outputs.clientId.value⟩");
  });

  it("exposes the API scope mcp.access as an enabled user-consentable scope", async () => {
    const { app } = await deploy();
    const scopes = at(app.properties, "api", "oauth2PermissionScopes") as ArmValue[];
    assert.deepEqual(
      scopes.map((s) => [at(s, "value"), at(s, "type"), at(s, "isEnabled")]),
      [["mcp.access", "User", true]],
    );
  });

  it("keeps scope ids stable across redeploys of the same environment and distinct across environments", async () => {
    const id = async (environmentName: string) =>
      at((await deploy({ environmentName })).app.properties, "api", "oauth2PermissionScopes", 0, "id");
    assert.equal(await id("contoso-mcp"), await id("contoso-mcp"));
    assert.notEqual(await id("contoso-mcp"), await id("fabrikam-mcp"));
  });

  it("pre-authorizes Visual Studio Code for every API scope", async () => {
    const { app } = await deploy();
    const scopeIds = (at(app.properties, "api", "oauth2PermissionScopes") as ArmValue[]).map((s) => at(s, "id"));
    assert.deepEqual(at(app.properties, "api", "preAuthorizedApplications"), [{ appId: VS_CODE, delegatedPermissionIds: scopeIds }]);
  });

  it("pre-authorizes additional clients given as a parameter", async () => {
    const other = "0f0f0f0f-0000-4000-8000-00000000000f";
    const { app } = await deploy({ additionalPreAuthorizedClientIds: [other] });
    const clients = (at(app.properties, "api", "preAuthorizedApplications") as ArmValue[]).map((c) => at(c, "appId"));
    assert.deepEqual(clients, [VS_CODE, other]);
  });

  it("redirects to /auth/callback on the function app's default host name, known before the app exists", async () => {
    const { main, app } = await deploy();
    const site = main.module("function-app").resource("Microsoft.Web/sites");
    assert.deepEqual(at(app.properties, "web", "redirectUris"), [`https://${String(site.name)}.azurewebsites.net/auth/callback`]);
    assert.deepEqual(at(app.properties, "web", "implicitGrantSettings"), { enableAccessTokenIssuance: false, enableIdTokenIssuance: false });
  });

  it("requests the Graph delegated permissions the facade and the tools need, by name", async () => {
    const { app } = await deploy();
    const byId = new Map(graphServicePrincipal.oauth2PermissionScopes.map((s) => [s.id, s.value]));
    const access = at(app.properties, "requiredResourceAccess") as ArmValue[];
    assert.equal(access.length, 1);
    assert.equal(at(access[0]!, "resourceAppId"), MICROSOFT_GRAPH);
    const granted = (at(access[0]!, "resourceAccess") as ArmValue[]).map((a) => [byId.get(String(at(a, "id"))), at(a, "type")]);
    assert.deepEqual(granted, [
      ["openid", "Scope"],
      ["profile", "Scope"],
      ["offline_access", "Scope"],
      ["User.Read", "Scope"],
    ]);
  });

  it("looks Graph's permission ids up from Graph's own service principal rather than hard-coding them", async () => {
    const { entra } = await deploy();
    const graph = entra.resources("Microsoft.Graph/servicePrincipals").filter((sp) => sp.existing);
    assert.deepEqual(graph.map((sp) => at(sp.properties, "appId")), [MICROSOFT_GRAPH]);
  });

  it("declares the delegated permissions of downstream APIs given as a parameter (the gateway's remote servers), by name, looked up from each API's service principal", async () => {
    const crm = "c2a00000-0000-4000-8000-0000000000c2";
    const tickets = "71c00000-0000-4000-8000-000000000071";
    const crmPrincipal = { oauth2PermissionScopes: ["Crm.Read", "Crm.Write"].map((value, i) => ({ value, id: `c2a00000-0000-4000-8000-00000000000${i}` })) };
    const ticketsPrincipal = { oauth2PermissionScopes: [{ value: "Tickets.Read", id: "71c00000-0000-4000-8000-000000000001" }] };
    const { app, entra } = await deploy(
      { downstreamApiPermissions: [{ appId: crm, scopes: ["Crm.Read"] }, { appId: tickets, scopes: ["Tickets.Read"] }] },
      [crmPrincipal, ticketsPrincipal],
    );
    const access = at(app.properties, "requiredResourceAccess") as ArmValue[];
    assert.deepEqual(
      access.map((entry) => at(entry, "resourceAppId")),
      [MICROSOFT_GRAPH, crm, tickets],
    );
    assert.deepEqual(at(access[1]!, "resourceAccess"), [{ id: "c2a00000-0000-4000-8000-000000000000", type: "Scope" }]);
    assert.deepEqual(at(access[2]!, "resourceAccess"), [{ id: "71c00000-0000-4000-8000-000000000001", type: "Scope" }]);
    const read = entra.resources("Microsoft.Graph/servicePrincipals").filter((sp) => sp.existing);
    assert.deepEqual(read.map((sp) => at(sp.properties, "appId")), [MICROSOFT_GRAPH, crm, tickets]);
  });

  it("creates the app's service principal", async () => {
    const { entra } = await deploy();
    const created = entra.resources("Microsoft.Graph/servicePrincipals").filter((sp) => !sp.existing);
    assert.deepEqual(created.map((sp) => String(at(sp.properties, "appId"))), ["⟨reference(application).appId⟩"]);
  });

  it("is a single-tenant app unless asked otherwise", async () => {
    assert.equal(at((await deploy()).app.properties, "signInAudience"), "AzureADMyOrg");
    assert.equal(at((await deploy({ signInAudience: "AzureADMultipleOrgs" })).app.properties, "signInAudience"), "AzureADMultipleOrgs");
  });
});

describe("infra: federated identity credential", function () {
  this.timeout(300_000);

  it("trusts the federated-credential identity's tokens from this tenant's issuer for api://AzureADTokenExchange", async () => {
    const main = mainDeployment(await compiledInfra());
    const credential = main.module("entra-federated-credential").resource("Microsoft.Graph/applications/federatedIdentityCredentials");
    assert.equal(at(credential.properties, "issuer"), `https://login.microsoftonline.com/${FACTS.tenantId}/v2.0`);
    assert.equal(String(at(credential.properties, "subject")), "⟨reference(identities).outputs.federatedPrincipalId.value⟩");
    assert.deepEqual(at(credential.properties, "audiences"), ["api://AzureADTokenExchange"]);
  });

  it("takes the issuer from the cloud's login endpoint, so sovereign clouds work", async () => {
    const usGov = { ...FACTS, environment: { ...PUBLIC_CLOUD, authentication: { loginEndpoint: "https://login.microsoftonline.us/" } } };
    const main = mainDeployment(await compiledInfra(), {}, usGov);
    const credential = main.module("entra-federated-credential").resource("Microsoft.Graph/applications/federatedIdentityCredentials");
    assert.equal(at(credential.properties, "issuer"), `https://login.microsoftonline.us/${FACTS.tenantId}/v2.0`);
    const settings = main.module("function-app").resource("Microsoft.Web/sites/config").properties as Record<string, unknown>;
    assert.equal(settings["ENTRA_AUTHORITY_HOST"], "https://login.microsoftonline.us/");
  });

  it("belongs to the app registration, addressed by its unique name", async () => {
    const main = mainDeployment(await compiledInfra());
    const module = main.module("entra-federated-credential", { application: { uniqueName: "mcp-functions-kit-x" } });
    assert.equal(String(module.evaluate("[parameters('applicationUniqueName')]")), "⟨reference(entraApp).outputs.uniqueName.value⟩");
    const app = module.resource("Microsoft.Graph/applications");
    assert.equal(app.existing, true);
    assert.equal(at(module.resource("Microsoft.Graph/applications/federatedIdentityCredentials").properties, "name"), "mcp-functions-kit-x/managed-identity");
  });

  it("is deployed after the app registration's deployment has finished, never in the same one (msgraph-bicep-types#301)", async () => {
    const infra = await compiledInfra();
    const main = mainDeployment(infra);
    assert.ok(main.dependenciesOf("entra-federated-credential").includes("entraApp"));
    const entraApp = main.module("entra-app");
    assert.deepEqual(entraApp.resources("Microsoft.Graph/applications/federatedIdentityCredentials"), []);
  });
});
