/**
 * How to point @azure/msal-node at the stand-in.
 *
 * msal-node insists on an `https` authority, and for a host it does not know
 * it first asks `https://login.microsoftonline.com/common/discovery/instance`
 * whether the host is a valid authority ("instance discovery"). Offline that
 * call fails and msal gives up (`untrusted_authority`).
 *
 * Two configurations avoid it:
 * - `knownAuthorities: ["localhost:<port>"]` (chosen here): msal trusts the
 *   host as is (as for B2C, ADFS or a sovereign cloud it does not know),
 *   then reads `<authority>/v2.0/.well-known/openid-configuration` from the
 *   stand-in itself. One short list, no JSON to keep in sync, and discovery
 *   stays a real request that tests can count, slow down or fail.
 * - `cloudDiscoveryMetadata` + `authorityMetadata` (JSON strings): msal makes
 *   no metadata request at all. Possible, but the metadata must be generated
 *   from the stand-in's port and the discovery endpoint goes untested.
 *
 * Either way the process must trust the development certificate:
 * `NODE_EXTRA_CA_CERTS=.local/dev-tls/cert.pem`, set at process start
 * (`node dist/scripts/with-dev-tls.js <command>` does it).
 *
 * The kit's production code should accept `knownAuthorities` only for a
 * configured, non-public authority host; against login.microsoftonline.com
 * msal's normal instance discovery is right.
 */

/** The msal `auth` fields that point a client application at the stand-in. */
export interface MsalAuthorityOptions {
  /** `https://localhost:<port>/<tenant>`. */
  readonly authority: string;
  /** `["localhost:<port>"]`: skips instance discovery against login.microsoftonline.com. */
  readonly knownAuthorities: string[];
}

/**
 * Returns exactly the msal `auth` fields to spread into a client
 * application's configuration.
 *
 * @example
 * const cca = new ConfidentialClientApplication({
 *   auth: { clientId, clientSecret, ...msalAuthorityOptions(entra) },
 * });
 */
export function msalAuthorityOptions(standIn: { readonly origin: string; readonly defaultTenant: string }, tenant: string = standIn.defaultTenant): MsalAuthorityOptions {
  const origin = new URL(standIn.origin);
  return { authority: `${origin.origin}/${tenant}`, knownAuthorities: [origin.host] };
}
