/**
 * Storage, Key Vault, monitoring and every role assignment, as compiled from
 * infra/modules/{storage,key-vault,monitoring}.bicep.
 */
import assert from "node:assert/strict";
import { at, type ArmValue, type Deployment } from "./support/arm.js";
import { compiledInfra, DEPLOYER_ID, mainDeployment } from "./support/compiled.js";

/** Built-in role definition ids (the same in every tenant). */
const ROLE = {
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  keyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
} as const;

const RUNTIME = "⟨reference(identities).outputs.runtimePrincipalId.value⟩";

/** Every role assignment the deployment makes: [module, scope resource type, role GUID, principal, principal type]. */
function roleAssignments(main: Deployment): string[][] {
  const rows: string[][] = [];
  for (const moduleName of ["identities", "monitoring", "storage", "key-vault", "function-app"]) {
    const module = main.module(moduleName);
    for (const assignment of module.resources("Microsoft.Authorization/roleAssignments").filter((r) => r.deployed)) {
      const scope = String(module.evaluate(assignment.raw.scope));
      const roleDefinitionId = String(at(assignment.properties, "roleDefinitionId"));
      const guid = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/.exec(roleDefinitionId)?.[1] ?? roleDefinitionId;
      rows.push([
        moduleName,
        /\/providers\/([^/]+\/[^/]+)\//.exec(`${scope}/`)?.[1] ?? scope,
        guid,
        String(at(assignment.properties, "principalId")),
        String(at(assignment.properties, "principalType")),
      ]);
    }
  }
  return rows.sort();
}

describe("infra: storage, Key Vault and monitoring", function () {
  this.timeout(300_000);

  const main = async (overrides: { readonly [name: string]: ArmValue } = {}) => mainDeployment(await compiledInfra(), overrides);

  it("turns shared key access off on the storage account, with TLS 1.2 and https only", async () => {
    const account = (await main()).module("storage").resource("Microsoft.Storage/storageAccounts");
    assert.equal(at(account.properties, "allowSharedKeyAccess"), false);
    assert.equal(at(account.properties, "defaultToOAuthAuthentication"), true);
    assert.equal(at(account.properties, "minimumTlsVersion"), "TLS1_2");
    assert.equal(at(account.properties, "supportsHttpsTrafficOnly"), true);
    assert.equal(at(account.properties, "allowBlobPublicAccess"), false);
  });

  it("keeps the deployment package in a private container", async () => {
    const containers = (await main()).module("storage").resources("Microsoft.Storage/storageAccounts/blobServices/containers");
    assert.equal(containers.length, 1);
    assert.equal(at(containers[0]!.properties, "publicAccess"), "None");
  });

  it("creates the OBO cache table only when the shared cache is table", async () => {
    const tables = async (oboCache: string) =>
      (await main({ oboCache })).module("storage").resources("Microsoft.Storage/storageAccounts/tableServices/tables").filter((t) => t.deployed);
    assert.equal((await tables("memory")).length, 0);
    assert.deepEqual((await tables("table")).map((t) => String(t.name).split("/").pop()), ["obocache"]);
  });

  it("puts Key Vault in RBAC mode with soft delete and purge protection", async () => {
    const vault = (await main()).module("key-vault").resource("Microsoft.KeyVault/vaults");
    assert.equal(at(vault.properties, "enableRbacAuthorization"), true);
    assert.equal(at(vault.properties, "enableSoftDelete"), true);
    assert.equal(at(vault.properties, "enablePurgeProtection"), true);
    assert.equal(at(vault.properties, "accessPolicies"), null, "no access policies in RBAC mode");
  });

  it("never writes the sealing keyring from the template, so redeploys cannot rotate it", async () => {
    const infra = await compiledInfra();
    for (const [file, template] of infra.templates) {
      assert.ok(!JSON.stringify(template).includes("Microsoft.KeyVault/vaults/secrets"), `${file} declares a Key Vault secret`);
    }
  });

  it("turns local authentication off on Log Analytics and Application Insights", async () => {
    const monitoring = (await main()).module("monitoring");
    const workspace = monitoring.resource("Microsoft.OperationalInsights/workspaces");
    const insights = monitoring.resource("Microsoft.Insights/components");
    assert.equal(at(workspace.properties, "features", "disableLocalAuth"), true);
    assert.equal(at(insights.properties, "DisableLocalAuth"), true);
    assert.match(String(at(insights.properties, "WorkspaceResourceId")), new RegExp(`/workspaces/${String(workspace.name)}$`));
  });

  it("assigns exactly these roles, by role-definition GUID, with the default parameters (the shared cache and refresh-token ledger on Table Storage)", async () => {
    assert.deepEqual(
      roleAssignments(await main()),
      [
        ["key-vault", "Microsoft.KeyVault/vaults", ROLE.keyVaultSecretsOfficer, DEPLOYER_ID, "User"],
        ["key-vault", "Microsoft.KeyVault/vaults", ROLE.keyVaultSecretsUser, RUNTIME, "ServicePrincipal"],
        ["monitoring", "Microsoft.Insights/components", ROLE.monitoringMetricsPublisher, RUNTIME, "ServicePrincipal"],
        ["storage", "Microsoft.Storage/storageAccounts", ROLE.storageBlobDataOwner, RUNTIME, "ServicePrincipal"],
        ["storage", "Microsoft.Storage/storageAccounts", ROLE.storageTableDataContributor, DEPLOYER_ID, "User"],
        ["storage", "Microsoft.Storage/storageAccounts", ROLE.storageTableDataContributor, RUNTIME, "ServicePrincipal"],
      ].sort(),
    );
  });

  it("assigns no Table role with OBO_CACHE=memory", async () => {
    assert.ok(!roleAssignments(await main({ oboCache: "memory" })).some((r) => r[2] === ROLE.storageTableDataContributor));
  });

  it("adds Storage Table Data Contributor for the runtime and the developer when the shared cache is table", async () => {
    const rows = roleAssignments(await main({ oboCache: "table" }));
    assert.ok(rows.some((r) => r.join() === ["storage", "Microsoft.Storage/storageAccounts", ROLE.storageTableDataContributor, RUNTIME, "ServicePrincipal"].join()));
    assert.ok(rows.some((r) => r.join() === ["storage", "Microsoft.Storage/storageAccounts", ROLE.storageTableDataContributor, DEPLOYER_ID, "User"].join()));
    const withoutDeveloper = roleAssignments(await main({ oboCache: "table", grantDeveloperAccess: false }));
    assert.ok(!withoutDeveloper.some((r) => r[3] === DEPLOYER_ID && r[2] === ROLE.storageTableDataContributor));
  });

  it("assigns nothing to a deploying principal that azd did not name", async () => {
    const rows = roleAssignments(await main({ principalId: "", oboCache: "table" }));
    assert.deepEqual(rows.filter((r) => r[3] === "" || r[3] === DEPLOYER_ID), []);
  });

  it("gives the federated-credential identity no Azure role at all", async () => {
    const rows = roleAssignments(await main({ oboCache: "table" }));
    assert.deepEqual(rows.filter((r) => r[3]!.includes("federated")), []);
  });

  it("names each role assignment from its scope, principal and role, so redeploys update rather than duplicate", async () => {
    const storage = (await main()).module("storage");
    const owner = storage.resources("Microsoft.Authorization/roleAssignments")[0]!;
    assert.match(String(owner.raw.name), /guid\(resourceId\('Microsoft\.Storage\/storageAccounts'.*parameters\('runtimePrincipalId'\).*variables\('storageBlobDataOwner'\)\)/);
  });
});
