/**
 * What /token and /revoke share: a form posted by a public client, which
 * authenticates with its client_id alone (PKCE at /token), never with a
 * secret or an Authorization header.
 */
import { OAuthFailure } from "./errors.js";
import { ParameterError, readForm, type Parameters } from "./forms.js";

/**
 * Reads a public client's form.
 * @throws OAuthFailure `invalid_client` for client credentials, `invalid_request` for a malformed form
 */
export async function readPublicClientForm(request: Request): Promise<Parameters> {
  if (request.headers.has("authorization")) {
    throw new OAuthFailure("invalid_client", "This server registers public clients only; authenticate with PKCE, not client credentials.");
  }
  try {
    return await readForm(request);
  } catch (error) {
    throw new OAuthFailure("invalid_request", error instanceof ParameterError ? error.message : "The request is malformed.");
  }
}

/**
 * A parameter that must be present and not empty.
 * @throws OAuthFailure `invalid_request` naming it
 */
export function requiredParameter(form: Parameters, name: string): string {
  const value = form.get(name);
  if (value === undefined || value === "") throw new OAuthFailure("invalid_request", `${name} is required.`);
  return value;
}
