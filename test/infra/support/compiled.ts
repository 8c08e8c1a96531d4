/**
 * The compiled ARM JSON of `infra/`, produced once per test run by the real
 * Bicep compiler (scripts/infra/bicep-toolchain.ts), and the standard
 * deployment the tests evaluate it with.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkInfra, defaultPaths, type InfraCheckResult } from "../../../scripts/infra/bicep-toolchain.js";
import { Deployment, PUBLIC_CLOUD, type ArmValue, type DeploymentFacts, type Template } from "./arm.js";

/** The check's result and the compiled main template. */
export interface CompiledInfra {
  readonly check: InfraCheckResult;
  readonly main: Template;
  /** Compiled template of each `.bicep` file, by project-relative path (`infra/modules/storage.bicep`). */
  readonly templates: ReadonlyMap<string, Template>;
}

let compiled: Promise<CompiledInfra> | undefined;

/** Compiles `infra/` (restoring the compiler the first time); later calls share the result. */
export function compiledInfra(): Promise<CompiledInfra> {
  compiled ??= (async () => {
    const check = await checkInfra(defaultPaths());
    const templates = new Map<string, Template>();
    for (const file of check.files) {
      const json = join(check.compiledInfraDir, "..", file.replace(/\.bicep$/, ".json"));
      templates.set(file, JSON.parse(await readFile(json, "utf8")) as Template);
    }
    const main = templates.get("infra/main.bicep");
    if (main === undefined) {
      throw new Error("infra/main.bicep was not compiled");
    }
    return { check, main, templates };
  })();
  return compiled;
}

/** Tenant, subscription and cloud of the standard test deployment. */
export const FACTS: DeploymentFacts = {
  subscriptionId: "0b0b0b0b-0000-4000-8000-000000000001",
  tenantId: "7e7e7e7e-0000-4000-8000-000000000002",
  resourceGroupName: "rg-contoso-mcp",
  environment: PUBLIC_CLOUD,
};

/** Object id of the deploying user in the standard test deployment. */
export const DEPLOYER_ID = "de9107e2-0000-4000-8000-000000000003";

/** The main template as `azd up` would deploy it for environment `contoso-mcp`, with `overrides` applied. */
export function mainDeployment(infra: CompiledInfra, overrides: { readonly [name: string]: ArmValue } = {}, facts: DeploymentFacts = FACTS): Deployment {
  return new Deployment(infra.main, { environmentName: "contoso-mcp", location: "westeurope", principalId: DEPLOYER_ID, ...overrides }, facts);
}
