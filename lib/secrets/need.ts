/**
 * The `secret(name)` need: a tool asks for a secret by name (an API key, a
 * connection string) and receives its current value, from Key Vault in Azure
 * or from the environment locally (lib/secrets/index.ts). The value is
 * cached and refreshed by the source; it never appears in a log line or a
 * message, only its name does.
 */
import { NeedError, type Need } from "../mcp/needs.js";
import { ToolDefinitionError } from "../mcp/tool.js";
import { environmentName, isSecretName, SecretUnavailableError } from "./source.js";

/**
 * A secret's current value, by its Key Vault name (letters, digits, dashes);
 * read from the environment variable of the same name in upper case with
 * underscores when no Key Vault is configured (`weather-api-key` →
 * `WEATHER_API_KEY`).
 *
 * @example
 * needs: { apiKey: secret("weather-api-key") },
 * async run({ city }, { apiKey, signal }) { return fetch(`https://weather.example/?q=${city}`, { headers: { "x-api-key": apiKey }, signal }); }
 * @throws ToolDefinitionError at definition time for a name Key Vault would refuse.
 */
export function secret(name: string): Need<string> {
  const describe = `secret("${name}")`;
  if (!isSecretName(name)) throw new ToolDefinitionError(describe, "a secret name is 1-127 letters, digits and dashes (Key Vault's rule)");
  return {
    describe,
    async resolve(context) {
      if (context.secrets === undefined) throw new NeedError(`This tool needs the secret "${name}", but this server has no secret source.`);
      try {
        return await context.secrets.get(name, context.signal);
      } catch (error) {
        if (!(error instanceof SecretUnavailableError)) throw error;
        context.log.error("secret.unavailable", { secret: name, source: context.secrets.description });
        const where = context.secrets.description === "environment" ? ` (locally: the ${environmentName(name)} environment variable)` : "";
        throw new NeedError(`This tool cannot run right now: its secret "${name}" is unavailable; the server's operator should check it${where}.`, { cause: error });
      }
    },
  };
}
