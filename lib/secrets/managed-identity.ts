/**
 * The app's managed identity as a `TokenCredential`, with `@azure/identity`
 * loaded on the first token request rather than when the app is imported.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/**
 * `ManagedIdentityCredential` of the user-assigned identity `clientId`, or of
 * the system-assigned identity when `clientId` is undefined.
 *
 * @example
 * const credential = managedIdentityCredential(config.secrets.managedIdentityClientId);
 */
export function managedIdentityCredential(clientId: string | undefined): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  const open = (): Promise<TokenCredential> =>
    (credential ??= import("@azure/identity").then(
      ({ ManagedIdentityCredential }) => (clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId })),
      (error: unknown) => {
        credential = undefined;
        throw error;
      },
    ));
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      return (await open()).getToken(scopes, options);
    },
  };
}
