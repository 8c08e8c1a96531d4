/**
 * What the stand-in saw: a record per request (endpoint, grant, client,
 * scopes, whether a `resource` parameter came, whose token it was, outcome)
 * and running counts, so tests can assert "exactly 50 OBO requests" or "the
 * facade never forwarded `resource`".
 *
 * No secret is ever recorded: no client secret, code, token, assertion or
 * password, only who and what.
 */

export type EndpointName = "discovery" | "jwks" | "authorize" | "token" | "other";

/** Token grants by short name; "obo" is the jwt-bearer on_behalf_of grant. */
export type GrantName = "authorization_code" | "refresh_token" | "password" | "client_credentials" | "obo" | "other";

export interface RequestRecord {
  /** Epoch ms. */
  readonly at: number;
  readonly endpoint: EndpointName;
  readonly method: string;
  /** The tenant path segment as sent (GUID, `common`, `organizations`). */
  readonly tenant: string;
  /** HTTP status answered (0 when the connection was dropped). */
  status: number;
  readonly grantType?: GrantName;
  readonly clientId?: string;
  /** Requested scopes, as sent. */
  readonly scopes?: readonly string[];
  /** Whether the request carried a `resource` parameter. */
  readonly resourceParameter: boolean;
  /** Whether the request carried a `claims` parameter. */
  readonly claimsParameter: boolean;
  /** The `claims` parameter of an authorize request, as sent (a claims challenge is no secret). */
  readonly claims?: string;
  /** Authorize only: the permissions (`<resource>/<scope>`) the consent page asked the user for, when one was shown. */
  consentPrompted?: readonly string[];
  /** Authorize only: the permissions the user consented to that were not consented before. */
  consented?: readonly string[];
  /** How the client authenticated at the token endpoint. */
  clientAuth?: "none" | "client_secret_post" | "client_secret_basic" | "certificate" | "federated";
  /** The user the request was for: the signed-in user, the code's or refresh token's user, the OBO assertion's user. */
  user?: { readonly oid: string; readonly upn: string };
  /** `AADSTS<code>` when the answer was an Entra error. */
  error?: string;
  /** The fault switch that shaped the answer, if any. */
  fault?: string;
}

export interface ActivityCounts {
  readonly discovery: number;
  readonly jwks: number;
  readonly authorize: number;
  readonly token: number;
  readonly other: number;
  /** Token requests per grant. */
  readonly grants: Readonly<Record<GrantName, number>>;
  /** Shorthand for `grants.obo`. */
  readonly obo: number;
}

const RECORD_LIMIT = 20_000;

function zeroGrants(): Record<GrantName, number> {
  return { authorization_code: 0, refresh_token: 0, password: 0, client_credentials: 0, obo: 0, other: 0 };
}

/** Request records (bounded) and exact running counts. */
export class Activity {
  #records: RequestRecord[] = [];
  #endpoints: Record<EndpointName, number> = { discovery: 0, jwks: 0, authorize: 0, token: 0, other: 0 };
  #grants = zeroGrants();

  /** Starts a record; the caller fills in status and outcome as it learns them. */
  begin(record: RequestRecord): RequestRecord {
    this.#endpoints[record.endpoint]++;
    if (record.grantType !== undefined) this.#grants[record.grantType]++;
    this.#records.push(record);
    // A long `npm start` session must not grow without bound; counts stay exact.
    if (this.#records.length > RECORD_LIMIT) this.#records.splice(0, this.#records.length - RECORD_LIMIT);
    return record;
  }

  /** Requests seen since the last reset (the most recent 20,000), oldest first. */
  records(filter: Partial<Pick<RequestRecord, "endpoint" | "grantType" | "clientId" | "tenant">> = {}): RequestRecord[] {
    return this.#records.filter(
      (record) =>
        (filter.endpoint === undefined || record.endpoint === filter.endpoint) &&
        (filter.grantType === undefined || record.grantType === filter.grantType) &&
        (filter.clientId === undefined || record.clientId === filter.clientId) &&
        (filter.tenant === undefined || record.tenant === filter.tenant),
    );
  }

  counts(): ActivityCounts {
    return { ...this.#endpoints, grants: { ...this.#grants }, obo: this.#grants.obo };
  }

  reset(): void {
    this.#records = [];
    this.#endpoints = { discovery: 0, jwks: 0, authorize: 0, token: 0, other: 0 };
    this.#grants = zeroGrants();
  }
}
