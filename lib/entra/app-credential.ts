/**
 * How this app proves its identity to Entra when it redeems codes, refreshes
 * tokens and exchanges them On-Behalf-Of.
 *
 * One interface, several credentials, in the design's order of preference:
 * a managed identity federated credential (no secret anywhere), a
 * certificate, a client secret. Callers see only the form fields to add to a
 * token request.
 */

export interface AppCredential {
  /** For logs and errors. */
  readonly kind: "secret" | "certificate" | "managed-identity";
  /** The form fields that authenticate the app at `tokenEndpoint` (`client_secret`, or `client_assertion` + its type). */
  tokenRequestFields(tokenEndpoint: URL, signal?: AbortSignal): Promise<Record<string, string>>;
}

/** A client secret. Locally from the environment; in Azure prefer the managed identity credential. */
export class ClientSecretCredential implements AppCredential {
  readonly kind = "secret";
  constructor(private readonly secret: () => Promise<string>) {}

  async tokenRequestFields(): Promise<Record<string, string>> {
    return { client_secret: await this.secret() };
  }
}
