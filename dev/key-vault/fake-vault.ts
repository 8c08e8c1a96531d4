/**
 * A fake Azure Key Vault (secrets only) on a real HTTPS listener, for tests
 * and local development, driven by the real `@azure/keyvault-secrets`
 * `SecretClient`.
 *
 * Authentication is Key Vault's challenge dance, as the SDK's
 * `keyVaultAuthenticationPolicy` expects it: the client's first request comes
 * without a token (and without a body) and is answered 401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`;
 * the client then asks its credential for `https://vault.azure.net/.default`
 * and repeats the request with `Authorization: Bearer <token>`, which the vault
 * checks with `acceptToken` (by default: exactly the token that
 * {@link FakeKeyVault.credential} hands out). The challenge's resource cannot
 * match a `localhost` vault URL, so clients pass
 * `disableChallengeResourceVerification: true` (the kit does so for loopback
 * vault URLs only).
 *
 * Operations (any `api-version`, which is required and recorded):
 *
 * | Request | Answer |
 * |---|---|
 * | `GET /secrets/{name}[/]`, `GET /secrets/{name}/{version}` | 200 bundle; 404 `SecretNotFound`; 403 `Forbidden`/`SecretDisabled` for a disabled version |
 * | `PUT /secrets/{name}` | 200 bundle of the new version; 409 `Conflict`/`ObjectIsDeletedButRecoverable` while deleted |
 * | `PATCH /secrets/{name}/{version}` | 200 bundle with updated attributes |
 * | `DELETE /secrets/{name}` | 200 deleted bundle (soft delete) |
 * | `GET /deletedsecrets/{name}` | 200 deleted bundle; 404 `SecretNotFound` |
 * | `POST /deletedsecrets/{name}/recover` | 200 bundle (recovered at once) |
 * | `DELETE /deletedsecrets/{name}` | 204 (purged) |
 *
 * Like Key Vault, `GET` answers expired and not-yet-valid versions (their
 * `exp` / `nbf` attributes say so); deciding not to use them is the client's
 * business.
 *
 * Switches for failure tests: {@link FakeKeyVault.down} / {@link FakeKeyVault.up}
 * (connections refused, same port after), {@link FakeKeyVault.fail} (slow
 * answers, 5xx / 429, dropped connections, RBAC denial). Every request is
 * recorded without token or value, and {@link FakeKeyVault.reads} counts the
 * authenticated reads of one secret.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { DEV_TENANT_ID } from "../defaults.js";
import { FaultSwitches } from "../fault-switches.js";
import { dropConnection, sendJson } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import { ensureDevTls } from "../tls.js";
import { operate, parseRoute } from "./operations.js";
import { VaultStore, type VersionInput } from "./store.js";
import { errorBody } from "./wire.js";

/** The resource Key Vault names in its challenge (public cloud). */
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;

/** Error codes of the injected failure statuses. */
const STATUS_CODES = { 429: "Throttled", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout" } as const;

/** How to start a {@link FakeKeyVault}; every field is optional. */
export interface FakeKeyVaultOptions {
  /** Certificate and key; default: the development certificate (dev/tls.ts). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Default 0 (a free port); kept across {@link FakeKeyVault.down} / {@link FakeKeyVault.up}. */
  readonly port?: number;
  /**
   * Whether a bearer token is good. Default: it equals {@link FakeKeyVault.token}.
   * Plug in a JWT check (e.g. against the Entra stand-in's keys) for end-to-end tests.
   */
  readonly acceptToken?: (token: string) => boolean | Promise<boolean>;
  /** Tenant in the challenge's `authorization` URI; default the dev tenant. */
  readonly tenantId?: string;
  /** Authority host in the challenge; default https://login.microsoftonline.com. */
  readonly authorityHost?: string;
  /** Clock for created/updated/deleted times, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

/** A failure to inject, before the vault does its normal work. */
export type VaultFault =
  /** Answer this status with a Key Vault error body (and `Retry-After` when given). */
  | { readonly kind: "status"; readonly status: 429 | 500 | 502 | 503 | 504; readonly retryAfterSeconds?: number }
  /** Wait before answering (a slow vault). */
  | { readonly kind: "delay"; readonly ms: number }
  /** Destroy the connection without an answer. */
  | { readonly kind: "drop" }
  /** After authentication, 403 `Forbidden`/`ForbiddenByRbac`: the identity lost its role. */
  | { readonly kind: "forbidden" };

/** One request the vault received; never the token, never a value. */
export interface VaultRequestRecord {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** The secret the request is about, as written in the path. */
  readonly secret: string | null;
  readonly version: string | null;
  readonly apiVersion: string | null;
  /** Whether it carried a bearer token the vault accepted. */
  authorized: boolean;
  /** HTTP status answered; -1 for a dropped connection, 0 when the client left before the answer. */
  status: number;
  /** Key Vault error code of the answer, e.g. `SecretNotFound`. */
  errorCode?: string;
}

/** A token request made through {@link FakeKeyVault.credential}. */
export interface VaultTokenRequest {
  readonly scopes: readonly string[];
  readonly tenantId: string | undefined;
}

/** A running fake vault: its contents, its request log and its failure switches. Start one with {@link startFakeKeyVault}. */
export class FakeKeyVault {
  /** Every request, oldest first. */
  readonly requests: VaultRequestRecord[] = [];
  /** Every token handed out by {@link credential}, oldest first. */
  readonly tokenRequests: VaultTokenRequest[] = [];
  /** The contents; tests may also write to it directly. */
  readonly store: VaultStore;
  /** The bearer token accepted by default and handed out by {@link credential}. */
  readonly token = `fake-vault-${randomBytes(24).toString("base64url")}`;
  readonly #listener: LoopbackListener;
  readonly #acceptToken: (token: string) => boolean | Promise<boolean>;
  readonly #challenge: string;
  readonly #faults = new FaultSwitches<VaultFault>();

  /** @internal Use {@link startFakeKeyVault}. */
  constructor(options: FakeKeyVaultOptions & { readonly tls: { readonly cert: string; readonly key: string } }) {
    this.store = new VaultStore(options.now);
    this.#acceptToken = options.acceptToken ?? ((token) => token === this.token);
    const authority = `${(options.authorityHost ?? "https://login.microsoftonline.com").replace(/\/+$/, "")}/${options.tenantId ?? DEV_TENANT_ID}`;
    this.#challenge = `Bearer authorization="${authority}", resource="${KEY_VAULT_RESOURCE}"`;
    this.#listener = createLoopbackListener({
      tls: options.tls,
      handler: (request, response) => {
        this.#handle(request, response).catch((error: unknown) => {
          console.error("fake key vault: unexpected error", error);
          if (!response.headersSent) sendJson(response, 500, errorBody("InternalServerError", "The fake vault failed unexpectedly."));
        });
      },
      ...(options.port === undefined ? {} : { port: options.port }),
    });
  }

  /** `https://localhost:<port>/`: what `SecretClient` and `KEY_VAULT_URL` take. */
  get vaultUrl(): string {
    return `${this.#listener.origin}/`;
  }

  get listening(): boolean {
    return this.#listener.listening;
  }

  /**
   * A `TokenCredential` that hands out {@link token} and records what it was asked for.
   *
   * @example
   * new SecretClient(vault.vaultUrl, vault.credential(), { disableChallengeResourceVerification: true });
   */
  credential(): TokenCredential {
    return {
      getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> => {
        this.tokenRequests.push({ scopes: typeof scopes === "string" ? [scopes] : [...scopes], tenantId: options?.tenantId });
        return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: "Bearer" };
      },
    };
  }

  /** Writes a version of a secret; returns its version id. */
  setSecret(name: string, value: string, input?: VersionInput): string {
    return this.store.set(name, value, input).version;
  }

  /** Authenticated reads (`GET /secrets/{name}[/{version}]`) of one secret, whatever their answer. */
  reads(name: string): number {
    const wanted = name.toLowerCase();
    return this.requests.filter((record) => record.method === "GET" && record.authorized && record.path.startsWith("/secrets/") && record.secret?.toLowerCase() === wanted).length;
  }

  /** Makes the next `times` requests (default: all, until removed) meet `fault`; returns its remover. */
  fail(fault: VaultFault, times?: number): () => void {
    return this.#faults.add(fault, times);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Forgets recorded requests and token requests (not the contents). */
  reset(): void {
    this.requests.length = 0;
    this.tokenRequests.length = 0;
  }

  /** Starts (again) on the same port. */
  async up(): Promise<void> {
    await this.#listener.start();
  }

  /** Stops listening and drops open connections: clients get connection refused until {@link up}. */
  async down(): Promise<void> {
    await this.#listener.stop();
  }

  async close(): Promise<void> {
    await this.#listener.stop();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.#listener.origin);
    const route = parseRoute(url.pathname);
    const record: VaultRequestRecord = {
      at: Date.now(),
      method: request.method ?? "GET",
      path: url.pathname,
      secret: route?.name ?? null,
      version: route?.version || null,
      apiVersion: url.searchParams.get("api-version"),
      authorized: false,
      status: 0,
    };
    this.requests.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
      if (code !== undefined) record.errorCode = code;
      if (response.destroyed) return;
      if (status === 204) {
        response.writeHead(204, { "x-ms-request-id": randomUUID() });
        response.end();
        return;
      }
      // Key Vault marks every answer no-cache; sendJson's no-store is stricter, which no client minds.
      sendJson(response, status, body, { "x-ms-request-id": randomUUID(), ...headers });
    };

    let forbidden = false;
    for (const fault of this.#faults.take()) {
      if (fault.kind === "delay") {
        await delayWhileConnected(request, fault.ms);
        if (request.socket.destroyed) return;
      } else if (fault.kind === "drop") {
        record.status = -1;
        dropConnection(request, response);
        return;
      } else if (fault.kind === "forbidden") {
        forbidden = true;
      } else {
        const retryAfter: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) };
        const code = STATUS_CODES[fault.status];
        return answer(fault.status, errorBody(code, "The fake vault is failing on purpose."), retryAfter);
      }
    }

    const header = request.headers.authorization ?? "";
    const bearer = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (bearer === undefined || !(await this.#acceptToken(bearer))) {
      const message = bearer === undefined ? "AKV10000: Request is missing a Bearer or PoP token." : "AKV10032: Invalid issuer or token.";
      // The SDK sends its first request without a body; drain whatever came so the connection can be reused.
      request.resume();
      return answer(401, errorBody("Unauthorized", message), { "WWW-Authenticate": this.#challenge });
    }
    record.authorized = true;
    if (forbidden) {
      return answer(403, errorBody("Forbidden", "Caller is not authorized to perform action on resource. (fake vault, on purpose)", "ForbiddenByRbac"));
    }
    if (record.apiVersion === null || record.apiVersion === "") {
      return answer(400, errorBody("BadParameter", "The request URI contains an invalid or missing api-version parameter."));
    }
    if (route === undefined) return answer(404, errorBody("NotFound", `The fake vault has no operation at ${url.pathname}.`));
    if (!SECRET_NAME.test(route.name)) {
      return answer(400, errorBody("BadParameter", "The secret name must be 1-127 characters of 0-9, a-z, A-Z and -."));
    }
    await operate(this.store, this.#listener.origin, request, route, answer);
  }
}

/** Waits `ms`, or less if the client goes away: a slow answer must not keep a test process alive after the vault closes. */
function delayWhileConnected(request: IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      request.socket.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    request.socket.once("close", done);
  });
}

/**
 * Starts a fake vault on the development certificate (created if missing).
 * Clients must trust it: run them through `node dist/scripts/with-dev-tls.js`.
 *
 * @example
 * const vault = await startFakeKeyVault();
 * vault.setSecret("sealing-keyring", json);
 * const client = new SecretClient(vault.vaultUrl, vault.credential(), { disableChallengeResourceVerification: true });
 */
export async function startFakeKeyVault(options: FakeKeyVaultOptions = {}): Promise<FakeKeyVault> {
  const tls = options.tls ?? (await ensureDevTls());
  const vault = new FakeKeyVault({ ...options, tls: { cert: tls.cert, key: tls.key } });
  await vault.up();
  return vault;
}
