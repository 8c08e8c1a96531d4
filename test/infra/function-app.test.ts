/**
 * The Flex Consumption plan and the function app, as compiled from
 * infra/modules/function-app.bicep and deployed by main.bicep.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { defaultPaths } from "../../scripts/infra/bicep-toolchain.js";
import { at, Deferred } from "./support/arm.js";
import { compiledInfra, mainDeployment } from "./support/compiled.js";

describe("infra: function app on Flex Consumption", function () {
  this.timeout(300_000);

  const functionApp = async (overrides = {}) => mainDeployment(await compiledInfra(), overrides).module("function-app");

  it("runs on a Flex Consumption FC1 plan for Linux", async () => {
    const app = await functionApp();
    const plan = app.resource("Microsoft.Web/serverfarms");
    assert.deepEqual(app.evaluate(plan.raw["sku"] as never), { tier: "FlexConsumption", name: "FC1" });
    assert.equal(at(plan.properties, "reserved"), true, "reserved: true means Linux");
    const site = app.resource("Microsoft.Web/sites");
    assert.match(String(at(site.properties, "serverFarmId")), new RegExp(`/serverfarms/${String(plan.name)}$`));
    assert.equal(site.raw["kind"], "functionapp,linux");
  });

  it("runs Node 22", async () => {
    const site = (await functionApp()).resource("Microsoft.Web/sites");
    assert.deepEqual(at(site.properties, "functionAppConfig", "runtime"), { name: "node", version: "22" });
  });

  it("serves https only with TLS 1.2 at least, on the app and its SCM site", async () => {
    const site = (await functionApp()).resource("Microsoft.Web/sites");
    assert.equal(at(site.properties, "httpsOnly"), true);
    assert.equal(at(site.properties, "siteConfig", "minTlsVersion"), "1.2");
    assert.equal(at(site.properties, "siteConfig", "scmMinTlsVersion"), "1.2");
  });

  it("turns FTP off and refuses basic publishing credentials for FTP and SCM", async () => {
    const app = await functionApp();
    const site = app.resource("Microsoft.Web/sites");
    assert.equal(at(site.properties, "siteConfig", "ftpsState"), "Disabled");
    const policies = app.resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies");
    assert.deepEqual(
      policies.map((p) => [p.name, at(p.properties, "allow")]).sort(),
      [
        [`${String(site.name)}/ftp`, false],
        [`${String(site.name)}/scm`, false],
      ],
    );
  });

  it("reads its deployment package from the blob container with the runtime identity, not a key", async () => {
    const site = (await functionApp()).resource("Microsoft.Web/sites");
    const storage = at(site.properties, "functionAppConfig", "deployment", "storage");
    assert.equal(at(storage, "type"), "blobContainer");
    assert.equal(String(at(storage, "value")), String(new Deferred("reference(storage).outputs.deploymentContainerUrl.value")));
    assert.deepEqual(at(storage, "authentication"), {
      type: "UserAssignedIdentity",
      userAssignedIdentityResourceId: new Deferred("reference(identities).outputs.runtimeIdentityId.value"),
    });
  });

  it("carries both user-assigned identities and no system-assigned one", async () => {
    const site = (await functionApp()).resource("Microsoft.Web/sites");
    const identity = (await functionApp()).evaluate(site.raw["identity"] as never);
    assert.equal(at(identity, "type"), "UserAssigned");
    assert.deepEqual(Object.keys(at(identity, "userAssignedIdentities") as object).sort(), [
      String(new Deferred("reference(identities).outputs.federatedIdentityId.value")),
      String(new Deferred("reference(identities).outputs.runtimeIdentityId.value")),
    ]);
  });

  it("takes instance memory and maximum instance count as parameters and keeps no instance warm by default", async () => {
    const scale = (app: Awaited<ReturnType<typeof functionApp>>) =>
      at(app.resource("Microsoft.Web/sites").properties, "functionAppConfig", "scaleAndConcurrency");
    assert.deepEqual(scale(await functionApp()), { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] });
    assert.deepEqual(scale(await functionApp({ instanceMemoryMB: 4096, maximumInstanceCount: 40, alwaysReadyInstanceCount: 1 })), {
      instanceMemoryMB: 4096,
      maximumInstanceCount: 40,
      alwaysReady: [{ name: "http", instanceCount: 1 }],
    });
  });

  it("is tagged with the service name azure.yaml deploys to", async () => {
    const site = (await functionApp()).resource("Microsoft.Web/sites");
    const tags = (await functionApp()).evaluate(site.raw["tags"] as never);
    const azureYaml = parse(await readFile(join(defaultPaths().projectRoot, "azure.yaml"), "utf8")) as { services: Record<string, unknown> };
    assert.deepEqual(Object.keys(azureYaml.services), [at(tags, "azd-service-name")]);
    assert.equal(at(tags, "azd-env-name"), "contoso-mcp");
  });

  it("connects the host to storage with its managed identity and no connection string", async () => {
    const settings = (await functionApp()).resource("Microsoft.Web/sites/config").properties as Record<string, unknown>;
    assert.equal(settings["AzureWebJobsStorage"], undefined);
    assert.equal(settings["AzureWebJobsStorage__credential"], "managedidentity");
    assert.equal(String(settings["AzureWebJobsStorage__clientId"]), "⟨reference(identities).outputs.runtimeClientId.value⟩");
    for (const service of ["blob", "queue", "table"]) {
      assert.equal(String(settings[`AzureWebJobsStorage__${service}ServiceUri`]), `⟨reference(storage).outputs.${service}Endpoint.value⟩`);
    }
  });

  it("sends telemetry with Entra authentication, as local auth is off", async () => {
    const settings = (await functionApp()).resource("Microsoft.Web/sites/config").properties as Record<string, unknown>;
    assert.equal(String(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]), "ClientId=⟨reference(identities).outputs.runtimeClientId.value⟩;Authorization=AAD");
  });

  it("writes none of the settings Flex Consumption refuses", async () => {
    const settings = (await functionApp()).resource("Microsoft.Web/sites/config").properties as Record<string, unknown>;
    const refused = [
      "FUNCTIONS_WORKER_RUNTIME",
      "FUNCTIONS_EXTENSION_VERSION",
      "FUNCTIONS_WORKER_RUNTIME_VERSION",
      "WEBSITE_RUN_FROM_PACKAGE",
      "WEBSITE_CONTENTSHARE",
      "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
      "WEBSITE_NODE_DEFAULT_VERSION",
      "SCM_DO_BUILD_DURING_DEPLOYMENT",
      "ENABLE_ORYX_BUILD",
    ];
    assert.deepEqual(refused.filter((name) => name in settings), []);
  });

  it("publishes the MCP URL of the app's default host name to azd", async () => {
    const main = mainDeployment(await compiledInfra());
    const site = main.module("function-app").resource("Microsoft.Web/sites");
    assert.equal(main.output("MCP_URL"), `https://${String(site.name)}.azurewebsites.net/mcp`);
    assert.equal(main.output("PUBLIC_BASE_URL"), `https://${String(site.name)}.azurewebsites.net`);
  });
});
