/** POST /register: dynamic client registration (RFC 7591) of public clients. */
import { BodyTooLargeError, CORS_HEADERS, corsPreflight, jsonResponse, mediaType, readBodyLimited, type WebHandler } from "../http.js";
import { RegistrationError } from "./clients.js";
import { OAuthFailure, oauthErrorResponse } from "./errors.js";
import type { Facade } from "./facade.js";
import { MAX_FORM_BYTES } from "./forms.js";

export function registerHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    if (request.method === "OPTIONS") return corsPreflight();
    if (mediaType(request) !== "application/json") {
      return oauthErrorResponse(new OAuthFailure("invalid_client_metadata", "The registration must be sent as application/json."));
    }
    let metadata: unknown;
    try {
      metadata = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await readBodyLimited(request, MAX_FORM_BYTES)));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      return oauthErrorResponse(new OAuthFailure("invalid_client_metadata", tooLarge ? `The registration exceeds ${MAX_FORM_BYTES} bytes.` : "The registration is not valid JSON."));
    }
    try {
      const registered = await facade.clients.register(metadata);
      context.log.info("oauth.client_registered", { clientName: registered.metadata.client_name, redirectUris: registered.metadata.redirect_uris });
      return jsonResponse(201, { client_id: registered.clientId, client_id_issued_at: registered.issuedAt, ...registered.metadata }, CORS_HEADERS);
    } catch (error) {
      if (error instanceof RegistrationError) return oauthErrorResponse(new OAuthFailure(error.error, error.message));
      throw error;
    }
  };
}
