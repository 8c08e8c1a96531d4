/**
 * A fake managed identity endpoint, App Service style, as Azure Functions
 * provides it: `IDENTITY_ENDPOINT` (a loopback http URL) and
 * `IDENTITY_HEADER` (a secret the caller echoes in `X-IDENTITY-HEADER`).
 *
 * `GET <endpoint>?resource=<uri>&api-version=2019-08-01[&client_id=<id>]`
 * answers `{access_token, expires_on, resource, token_type, client_id}`,
 * where the token is signed by the Entra stand-in. For
 * `resource=api://AzureADTokenExchange` it is the assertion of the kit's
 * secretless app credential: `iss` = the tenant's v2 issuer, `sub` = `oid` =
 * the identity's principal id, `aud` = `api://AzureADTokenExchange`, which the
 * stand-in's token endpoint accepts as `client_assertion` for an app whose
 * federated credential matches.
 *
 * This is exactly what @azure/identity 4.x `ManagedIdentityCredential` (via
 * msal-node's AppService source) sends: query `api-version=2019-08-01`,
 * `resource` (the scope without `/.default`), `client_id` for a user-assigned
 * identity, header `X-IDENTITY-HEADER`; it reads `expires_on` as epoch seconds.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { FaultSwitches } from "../fault-switches.js";
import { dropConnection, sendJson, sleep } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import type { ManagedIdentity } from "../entra/directory.js";
import type { MintedToken } from "../entra/tokens.js";

export const APP_SERVICE_API_VERSION = "2019-08-01";

/** What the endpoint needs from the Entra stand-in (an `EntraStandIn` fits). */
export interface ManagedIdentityIssuer {
  issueManagedIdentityToken(clientId: string | undefined, resource: string): Promise<{ identity: ManagedIdentity } & MintedToken>;
}

export interface ManagedIdentityEndpointOptions {
  readonly entra: ManagedIdentityIssuer;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** The `IDENTITY_HEADER` secret; default random. */
  readonly identityHeader?: string;
  /** Path of the endpoint; default "/msi/token" (as App Service). */
  readonly path?: string;
}

/** One request the endpoint answered (no token or header value recorded). */
export interface IdentityRequestRecord {
  readonly at: number;
  readonly resource: string | null;
  readonly clientId: string | null;
  readonly apiVersion: string | null;
  status: number;
  error?: string;
}

export type IdentityFault =
  | { readonly kind: "server_error"; readonly status?: 500 | 503 }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "drop" };

/** A running fake identity endpoint. Create with {@link startManagedIdentityEndpoint}. */
export class ManagedIdentityEndpoint {
  /** Every request, oldest first. */
  readonly requests: IdentityRequestRecord[] = [];
  readonly identityHeader: string;
  readonly #listener: LoopbackListener;
  readonly #entra: ManagedIdentityIssuer;
  readonly #path: string;
  readonly #faults = new FaultSwitches<IdentityFault>();

  /** @internal Use {@link startManagedIdentityEndpoint}. */
  constructor(options: ManagedIdentityEndpointOptions) {
    this.#entra = options.entra;
    this.identityHeader = options.identityHeader ?? randomBytes(24).toString("base64url");
    this.#path = options.path ?? "/msi/token";
    this.#listener = createLoopbackListener({
      handler: (request, response) => {
        this.#handle(request, response).catch((error: unknown) => {
          console.error("fake identity endpoint: unexpected error", error);
          if (!response.headersSent) sendJson(response, 500, { statusCode: 500, message: "fake identity endpoint internal error" });
        });
      },
      ...(options.port === undefined ? {} : { port: options.port }),
    });
  }

  /** `http://localhost:<port>/msi/token`: the value of `IDENTITY_ENDPOINT`. */
  get endpoint(): string {
    return `${this.#listener.origin}${this.#path}`;
  }

  /** The two variables a process needs to use this endpoint. */
  env(): { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string } {
    return { IDENTITY_ENDPOINT: this.endpoint, IDENTITY_HEADER: this.identityHeader };
  }

  /** Requests answered with a token. */
  get tokenCount(): number {
    return this.requests.filter((record) => record.status === 200).length;
  }

  /** Makes the next `times` requests (default: all, until removed) fail or slow down. */
  fail(fault: IdentityFault, times?: number): () => void {
    return this.#faults.add(fault, times);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  reset(): void {
    this.requests.length = 0;
  }

  async start(): Promise<void> {
    await this.#listener.start();
  }

  async stop(): Promise<void> {
    await this.#listener.stop();
  }

  async close(): Promise<void> {
    await this.#listener.stop();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.#listener.origin);
    const record: IdentityRequestRecord = {
      at: Date.now(),
      resource: url.searchParams.get("resource"),
      clientId: url.searchParams.get("client_id"),
      apiVersion: url.searchParams.get("api-version"),
      status: 0,
    };
    this.requests.push(record);
    const answer = (status: number, message: string): void => {
      record.status = status;
      record.error = message;
      sendJson(response, status, { statusCode: status, message, correlationId: randomUUID() }, { "Cache-Control": "" , Pragma: "" });
    };

    for (const fault of this.#faults.take()) {
      if (fault.kind === "delay") await sleep(fault.ms);
      else if (fault.kind === "drop") {
        dropConnection(request, response);
        return;
      } else {
        answer(fault.status ?? 500, "The fake identity endpoint is failing on purpose.");
        return;
      }
    }

    if (url.pathname !== this.#path) return answer(404, `No endpoint ${url.pathname}.`);
    if (request.method !== "GET") return answer(405, "Only GET is supported.");
    const header = request.headers["x-identity-header"];
    const given = Buffer.from(typeof header === "string" ? header : "");
    const expected = Buffer.from(this.identityHeader);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return answer(401, "The X-IDENTITY-HEADER header is missing or wrong.");
    if (record.apiVersion !== APP_SERVICE_API_VERSION) return answer(400, `api-version must be ${APP_SERVICE_API_VERSION}.`);
    if (record.resource === null || record.resource === "") return answer(400, "The 'resource' parameter is required.");
    if (url.searchParams.has("mi_res_id") || url.searchParams.has("principal_id") || url.searchParams.has("object_id")) {
      return answer(400, "The fake identity endpoint selects identities by client_id only.");
    }

    let issued: { identity: ManagedIdentity } & MintedToken;
    try {
      issued = await this.#entra.issueManagedIdentityToken(record.clientId ?? undefined, record.resource);
    } catch (error) {
      return answer(400, `No managed identity found for the specified ClientId/ResourceId/PrincipalId. (${(error as Error).message})`);
    }
    record.status = 200;
    const claims = issued.claims;
    sendJson(response, 200, {
      access_token: issued.token,
      expires_on: String(claims.exp),
      resource: record.resource,
      token_type: "Bearer",
      client_id: issued.identity.clientId,
    });
  }
}

/**
 * Starts the fake identity endpoint.
 *
 * @example
 * const identity = await startManagedIdentityEndpoint({ entra });
 * spawn("node", ["app.js"], { env: { ...process.env, ...identity.env() } });
 */
export async function startManagedIdentityEndpoint(options: ManagedIdentityEndpointOptions): Promise<ManagedIdentityEndpoint> {
  const endpoint = new ManagedIdentityEndpoint(options);
  await endpoint.start();
  return endpoint;
}
