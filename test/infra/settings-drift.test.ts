/**
 * Drift between the settings the code reads (the SETTINGS table of the
 * compiled lib/config.js) and the app settings the Bicep writes.
 */
import assert from "node:assert/strict";
import { SETTINGS } from "../../lib/config.js";
import { compiledInfra, mainDeployment } from "./support/compiled.js";

/**
 * Settings the Bicep writes for the Azure Functions platform rather than for
 * lib/config.ts. Each one says who reads it; nothing else may be written
 * without being declared in SETTINGS.
 */
const PLATFORM_SETTINGS: ReadonlyMap<string, string> = new Map([
  // Read by the Functions host: identity-based connection to its storage account.
  ["AzureWebJobsStorage__credential", "Functions host: authenticate to AzureWebJobsStorage with a managed identity"],
  ["AzureWebJobsStorage__clientId", "Functions host: which user-assigned identity (the runtime one)"],
  ["AzureWebJobsStorage__blobServiceUri", "Functions host: blob endpoint (leases, keys)"],
  ["AzureWebJobsStorage__queueServiceUri", "Functions host: queue endpoint"],
  ["AzureWebJobsStorage__tableServiceUri", "Functions host: table endpoint"],
  // APPLICATIONINSIGHTS_CONNECTION_STRING and _AUTHENTICATION_STRING are read by the Functions host and by
  // lib/telemetry, so they are declared in SETTINGS (set-by-infra) rather than here.
  // Read by the Functions host: no default landing page at / (routePrefix is empty).
  ["AzureWebJobsDisableHomepage", "Functions host: no default home page"],
]);

type Presence = "set-by-infra" | "platform" | "optional" | "local-only";
const declared = SETTINGS as Readonly<Record<string, { readonly azure: Presence; readonly description: string }>>;

async function bicepAppSettings(): Promise<string[]> {
  const functionApp = mainDeployment(await compiledInfra()).module("function-app");
  return Object.keys(functionApp.resource("Microsoft.Web/sites/config").properties as object);
}

describe("infra: app settings drift between lib/config.ts and the Bicep", function () {
  this.timeout(300_000);

  it("sets every setting lib/config.ts declares as set by the infrastructure", async () => {
    const written = new Set(await bicepAppSettings());
    const missing = Object.entries(declared)
      .filter(([name, spec]) => spec.azure === "set-by-infra" && !written.has(name))
      .map(([name]) => name);
    assert.deepEqual(missing, [], "declared set-by-infra in lib/config.ts but not written by infra/modules/function-app.bicep");
  });

  it("writes no app setting that lib/config.ts does not read, beyond the platform's own", async () => {
    const unknown = (await bicepAppSettings()).filter((name) => !(name in declared) && !PLATFORM_SETTINGS.has(name));
    assert.deepEqual(unknown, [], "written by the Bicep but not declared in SETTINGS of lib/config.ts (nor a platform setting)");
  });

  it("writes no setting that lib/config.ts leaves to the platform or to local development", async () => {
    const misplaced = (await bicepAppSettings()).filter((name) => {
      const presence = declared[name]?.azure;
      return presence === "platform" || presence === "local-only";
    });
    assert.deepEqual(misplaced, []);
  });

  it("keeps the platform allow-list honest: each entry is written and none is also a kit setting", async () => {
    const written = new Set(await bicepAppSettings());
    assert.deepEqual([...PLATFORM_SETTINGS.keys()].filter((name) => !written.has(name)), [], "allow-listed but no longer written");
    assert.deepEqual([...PLATFORM_SETTINGS.keys()].filter((name) => name in declared), [], "allow-listed and also declared in SETTINGS");
  });

  it("reads the settings from the compiled lib/config.js, which declares some", () => {
    assert.ok(Object.keys(declared).length > 0);
    assert.ok("PUBLIC_BASE_URL" in declared);
  });
});
