/**
 * OAuth clients of the facade, with no client table: a dynamically
 * registered client's metadata travels sealed inside its own `client_id`, and
 * a Client ID Metadata Document client's metadata is fetched from its
 * `client_id` URL. Either way any instance can recognise any client.
 */
import { isClientMetadataUrl } from "./client-metadata.js";
import { disguisingCharacterIn } from "./display-text.js";
import { ApplicationTypeError, checkRedirectUrisFor, type ApplicationType } from "./application-type.js";
import { RedirectUriError } from "./redirect-uris.js";
import { UnsealError, type Sealer } from "./sealing.js";

/** A client the facade knows. */
export interface OAuthClient {
  readonly clientId: string;
  readonly kind: "registered" | "metadata-document";
  readonly redirectUris: readonly string[];
  /** As the client names itself (unverified for registered clients). */
  readonly clientName: string | undefined;
  readonly clientUri: string | undefined;
  /** For metadata-document clients: the host that served the document. */
  readonly verifiedHost: string | undefined;
}

/** What a Client ID Metadata Document resolver returns (see client-metadata.ts). */
export interface ResolvedMetadataDocument {
  readonly clientId: string;
  readonly redirectUris: readonly string[];
  readonly clientName?: string | undefined;
  readonly clientUri?: string | undefined;
  readonly verifiedHost: string;
}

export interface MetadataDocumentResolver {
  resolve(clientId: string, signal?: AbortSignal): Promise<ResolvedMetadataDocument>;
}

/** A client_id that names no usable client; `message` is safe to show. */
export class UnknownClientError extends Error {
  readonly code = "UNKNOWN_CLIENT";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnknownClientError";
  }
}

/** Registration metadata that cannot be accepted; `error` is the RFC 7591 code. */
export class RegistrationError extends Error {
  readonly code = "REGISTRATION_INVALID";
  constructor(
    readonly error: "invalid_redirect_uri" | "invalid_client_metadata",
    message: string,
  ) {
    super(message);
    this.name = "RegistrationError";
  }
}

/** How long a registration (its sealed client_id) stays valid. */
export const REGISTRATION_LIFETIME_SECONDS = 365 * 24 * 3600;
/**
 * Longest client_id a registration may produce. The registration travels
 * sealed inside it, and the client_id travels in every /authorize URL and
 * inside every sealed state, code and refresh token, so a registration that
 * seals into more than this is refused rather than issued and refused later.
 * About 1,400 characters of redirect URIs and names fit.
 */
export const MAX_CLIENT_ID_LENGTH = 2048;
const MAX_REDIRECT_URIS = 10;
const MAX_TEXT = 200;

interface SealedRegistration {
  /** Redirect URIs. */
  readonly r: string[];
  /** Client name. */
  readonly n?: string;
  /** Client URI. */
  readonly u?: string;
}

/** The RFC 7591 registration response fields, minus `client_id` and timestamps. */
export interface RegisteredMetadata {
  readonly redirect_uris: string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly token_endpoint_auth_method: "none";
  readonly grant_types: string[];
  readonly response_types: string[];
  /** As the client declared it, or as its redirect URIs imply (application-type.ts). */
  readonly application_type: ApplicationType;
}

export class ClientRegistry {
  constructor(
    private readonly sealer: () => Promise<Sealer>,
    private readonly documents: MetadataDocumentResolver,
  ) {}

  /**
   * Registers a public client (RFC 7591) and returns its sealed client_id.
   * @throws RegistrationError
   */
  async register(metadata: unknown): Promise<{ clientId: string; issuedAt: number; metadata: RegisteredMetadata }> {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw new RegistrationError("invalid_client_metadata", "The registration must be a JSON object.");
    }
    const fields = metadata as Record<string, unknown>;
    const redirectUris = fields["redirect_uris"];
    if (!Array.isArray(redirectUris) || redirectUris.length === 0 || redirectUris.length > MAX_REDIRECT_URIS) {
      throw new RegistrationError("invalid_redirect_uri", `redirect_uris must list 1-${MAX_REDIRECT_URIS} URIs.`);
    }
    if (redirectUris.some((uri) => typeof uri !== "string")) throw new RegistrationError("invalid_redirect_uri", "Every redirect URI must be a string.");
    let checked: string[];
    let applicationType: ApplicationType;
    try {
      ({ applicationType, redirectUris: checked } = checkRedirectUrisFor(fields["application_type"], redirectUris as string[]));
    } catch (error) {
      if (error instanceof ApplicationTypeError) throw new RegistrationError("invalid_client_metadata", error.message);
      throw new RegistrationError("invalid_redirect_uri", error instanceof RedirectUriError ? error.message : "Invalid redirect URI.");
    }
    const method = fields["token_endpoint_auth_method"];
    if (method !== undefined && method !== "none") {
      throw new RegistrationError("invalid_client_metadata", "Only public clients are supported: token_endpoint_auth_method must be none (use PKCE).");
    }
    const grantTypes = fields["grant_types"];
    if (grantTypes !== undefined && (!Array.isArray(grantTypes) || grantTypes.some((grant) => grant !== "authorization_code" && grant !== "refresh_token"))) {
      throw new RegistrationError("invalid_client_metadata", "grant_types may contain only authorization_code and refresh_token.");
    }
    const responseTypes = fields["response_types"];
    if (responseTypes !== undefined && (!Array.isArray(responseTypes) || responseTypes.some((type) => type !== "code"))) {
      throw new RegistrationError("invalid_client_metadata", "response_types may contain only code.");
    }
    const clientName = optionalText(fields["client_name"], "client_name");
    const clientUri = optionalText(fields["client_uri"], "client_uri");
    if (clientUri !== undefined && !clientUri.startsWith("https://")) {
      throw new RegistrationError("invalid_client_metadata", "client_uri must be an https URL.");
    }

    const sealed: SealedRegistration = { r: [...new Set(checked)], ...(clientName === undefined ? {} : { n: clientName }), ...(clientUri === undefined ? {} : { u: clientUri }) };
    const clientId = await (await this.sealer()).seal("client", { ...sealed }, REGISTRATION_LIFETIME_SECONDS);
    if (clientId.length > MAX_CLIENT_ID_LENGTH) {
      throw new RegistrationError("invalid_client_metadata", "The registration is too large: register fewer or shorter redirect URIs (about 1,400 characters of URIs and names in all).");
    }
    return {
      clientId,
      issuedAt: Math.floor(Date.now() / 1000),
      metadata: {
        redirect_uris: sealed.r,
        ...(clientName === undefined ? {} : { client_name: clientName }),
        ...(clientUri === undefined ? {} : { client_uri: clientUri }),
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        application_type: applicationType,
      },
    };
  }

  /**
   * The client a client_id names.
   * @throws UnknownClientError
   */
  async resolve(clientId: string, signal?: AbortSignal): Promise<OAuthClient> {
    if (isClientMetadataUrl(clientId)) {
      try {
        const document = await this.documents.resolve(clientId, signal);
        return {
          clientId,
          kind: "metadata-document",
          redirectUris: document.redirectUris,
          clientName: document.clientName,
          clientUri: document.clientUri,
          verifiedHost: document.verifiedHost,
        };
      } catch (error) {
        throw new UnknownClientError(error instanceof Error ? error.message : "The client's metadata document cannot be used.", { cause: error });
      }
    }
    let registration: SealedRegistration;
    try {
      registration = await (await this.sealer()).unseal<SealedRegistration>("client", clientId);
    } catch (error) {
      const reason = error instanceof UnsealError ? error.reason : "malformed";
      throw new UnknownClientError(
        reason === "expired" ? "This client's registration has expired; the application must register again." : "This client is not registered with this server.",
        { cause: error },
      );
    }
    return { clientId, kind: "registered", redirectUris: registration.r, clientName: registration.n, clientUri: registration.u, verifiedHost: undefined };
  }
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > MAX_TEXT) {
    throw new RegistrationError("invalid_client_metadata", `${field} must be text of at most ${MAX_TEXT} characters.`);
  }
  const disguising = disguisingCharacterIn(value);
  if (disguising !== undefined) {
    throw new RegistrationError("invalid_client_metadata", `${field} contains ${disguising}, an invisible, control or text-direction character, which could disguise it on the consent page.`);
  }
  return value.trim() === "" ? undefined : value;
}
