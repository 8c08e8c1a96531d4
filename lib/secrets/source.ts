/**
 * Secrets by name: `entra-client-secret`, `sealing-keyring`.
 *
 * Names follow Key Vault's rules (letters, digits, dashes). Read from the
 * environment, a name maps to upper case with underscores
 * (`sealing-keyring` → `SEALING_KEYRING`). A missing secret is an error that
 * names the secret, never its value.
 */

/** No value for a secret could be had. `secretName` is safe to log; the value never is. */
export class SecretUnavailableError extends Error {
  readonly code = "SECRET_UNAVAILABLE";
  constructor(
    readonly secretName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Secret ${secretName} is unavailable: ${reason}`, options);
    this.name = "SecretUnavailableError";
  }
}

export interface SecretSource {
  /** Where values come from, for logs: "environment" or the vault URL. */
  readonly description: string;
  /**
   * The current value of a secret.
   * @throws SecretUnavailableError
   */
  get(name: string, signal?: AbortSignal): Promise<string>;
}

const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;

/** Whether `name` is a valid Key Vault secret name (1-127 letters, digits and dashes). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The environment variable a secret name maps to. */
export function environmentName(secretName: string): string {
  return secretName.toUpperCase().replaceAll("-", "_");
}

/** Secrets from environment variables (local development, tests, non-Azure hosting). */
export function environmentSecrets(env: Readonly<Record<string, string | undefined>>): SecretSource {
  return {
    description: "environment",
    async get(name) {
      if (!isSecretName(name)) throw new SecretUnavailableError(name, "not a valid secret name");
      const value = env[environmentName(name)];
      if (value === undefined || value === "") throw new SecretUnavailableError(name, `set the ${environmentName(name)} environment variable`);
      return value;
    },
  };
}
