/**
 * `azd provision`'s preprovision hook: checks what can be checked before
 * anything is created, so a deployment does not fail half-way.
 *
 * - the azd environment values the Bicep takes (main.parameters.json);
 * - the signed-in account: the tenant the Entra app registration will be
 *   created in, and whether the account holds a directory role that can
 *   create app registrations (a warning only: by default every member of a
 *   tenant may register applications).
 */
import { envValue, HookError, requireEnv, type HookEnv, type HookLog } from "./hook-env.js";

/** The claims of the signed-in account's Azure Resource Manager token that matter here. */
export interface AccountClaims {
  /** Tenant id. */
  readonly tid: string;
  /** Object id. */
  readonly oid?: string;
  /** `app` for a service principal, `user` for a person (absent in some tokens). */
  readonly idtyp?: string;
  /** User principal name or other display name of the account. */
  readonly upn?: string;
  readonly unique_name?: string;
  /** Directory role template ids of the account. */
  readonly wids?: readonly string[];
}

/** The one Azure call the preprovision hook makes. */
export interface AccountProbe {
  /** Claims of a token for the signed-in account (in `tenantId` when given). */
  signedInAccount(tenantId: string | undefined): Promise<AccountClaims>;
}

/**
 * Directory roles whose holders can create app registrations even when the
 * tenant forbids it to ordinary users (role template ids are the same in
 * every tenant).
 */
export const APP_REGISTRATION_ROLES: ReadonlyMap<string, string> = new Map([
  ["cf1c38e5-3621-4004-a7cb-879624dced7c", "Application Developer"],
  ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"],
  ["158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator"],
  ["62e90394-69f5-4237-9190-012177145e10", "Global Administrator"],
]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Allowed values of the azd environment variables that main.parameters.json maps to parameters. */
export const CHOICES: Readonly<Record<string, readonly string[]>> = {
  AUTH_MODE: ["proxy", "direct"],
  OBO_CACHE: ["memory", "table", "redis"],
  ENTRA_SIGN_IN_AUDIENCE: ["AzureADMyOrg", "AzureADMultipleOrgs"],
  AZURE_PRINCIPAL_TYPE: ["User", "ServicePrincipal"],
};

/**
 * Checks the azd environment values; returns warnings.
 * @throws HookError on a value the deployment would refuse.
 */
export function checkEnvironmentValues(env: HookEnv): string[] {
  const warnings: string[] = [];
  const name = requireEnv(env, "AZURE_ENV_NAME", "run `azd env new <name>` first");
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(name)) {
    throw new HookError(`AZURE_ENV_NAME ${JSON.stringify(name)} must be 1-64 letters, digits and hyphens: resource names derive from it`);
  }
  const subscription = envValue(env, "AZURE_SUBSCRIPTION_ID");
  if (subscription !== undefined && !GUID.test(subscription)) {
    throw new HookError(`AZURE_SUBSCRIPTION_ID ${JSON.stringify(subscription)} is not a subscription id (a GUID)`);
  }
  const tenant = envValue(env, "AZURE_TENANT_ID");
  if (tenant !== undefined && !GUID.test(tenant)) {
    throw new HookError(`AZURE_TENANT_ID ${JSON.stringify(tenant)} is not a tenant id (a GUID)`);
  }
  if (envValue(env, "AUTH_MODE") === "none") {
    throw new HookError("AUTH_MODE none serves /mcp without sign-in and the app refuses it in Azure; `azd env set AUTH_MODE proxy` (or direct)");
  }
  for (const [variable, allowed] of Object.entries(CHOICES)) {
    const value = envValue(env, variable);
    if (value !== undefined && !allowed.includes(value)) {
      throw new HookError(`${variable} is ${JSON.stringify(value)}; expected one of ${allowed.join(", ")} (\`azd env set ${variable} <value>\`)`);
    }
  }
  if (envValue(env, "OBO_CACHE") === "redis") {
    warnings.push("OBO_CACHE is redis: the deployment does not create a Redis cache; the app needs one you provide, with its connection setting added to the function app.");
  }
  return warnings;
}

/** Reads the roles of the signed-in account; returns warnings (never fails on roles: the tenant may allow everyone). */
export function checkAccount(claims: AccountClaims, env: HookEnv): string[] {
  const warnings: string[] = [];
  const expectedTenant = envValue(env, "AZURE_TENANT_ID");
  if (expectedTenant !== undefined && claims.tid.toLowerCase() !== expectedTenant.toLowerCase()) {
    throw new HookError(
      `you are signed in to tenant ${claims.tid}, but this environment targets tenant ${expectedTenant}: ` +
        `run \`azd auth login --tenant-id ${expectedTenant}\` (the Entra app registration is created in the signed-in tenant)`,
    );
  }
  if (claims.idtyp === "app") {
    warnings.push(
      "You deploy as a service principal: it needs the Microsoft Graph application permission Application.ReadWrite.OwnedBy " +
        "(or Application.ReadWrite.All) to create the app registration, and a role that can create role assignments on the subscription.",
    );
    return warnings;
  }
  const roles = (claims.wids ?? []).map((id) => APP_REGISTRATION_ROLES.get(id)).filter((role): role is string => role !== undefined);
  if (roles.length === 0) {
    warnings.push(
      "Your account holds none of the directory roles Application Developer, Application Administrator, Cloud Application Administrator " +
        "or Global Administrator. That is fine if your tenant lets users register applications (the default); if it does not, the " +
        "deployment fails with Authorization_RequestDenied on Microsoft.Graph/applications: ask an administrator for Application Developer.",
    );
  }
  return warnings;
}

/** Runs the preprovision checks. */
export async function preprovision(env: HookEnv, probe: AccountProbe, log: HookLog): Promise<void> {
  const warnings = checkEnvironmentValues(env);
  let claims: AccountClaims;
  try {
    claims = await probe.signedInAccount(envValue(env, "AZURE_TENANT_ID"));
  } catch (error) {
    throw new HookError(`cannot get a token for the signed-in account (${(error as Error).message.split("\n")[0]}); run \`azd auth login\``);
  }
  warnings.push(...checkAccount(claims, env));
  const who = claims.upn ?? claims.unique_name ?? claims.oid ?? "the signed-in account";
  log.info(`Deploying as ${who} in tenant ${claims.tid}; the Entra app registration will be created in this tenant.`);
  log.info(
    "Role assignments need Owner, User Access Administrator or Role Based Access Control Administrator on the subscription (or on the resource group).",
  );
  for (const warning of warnings) {
    log.warn(warning);
  }
}
