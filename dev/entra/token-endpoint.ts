/**
 * `POST /{tenant}/oauth2/v2.0/token`: reads the form, records the request
 * (never its secrets), applies transport faults, authenticates the client and
 * runs the grant.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeJwt } from "jose";
import { readForm, sendJson } from "../http.js";
import type { GrantName, RequestRecord } from "./activity.js";
import { authenticateClient, claimedClientId } from "./client-auth.js";
import { ownIssuers, resolveTenantSegment, type StandInContext, type TenantScope } from "./context.js";
import { aadsts, EntraError } from "./errors.js";
import { scopeKeys } from "./issuance.js";
import { applyTransportFaults, sendEntraError } from "./respond.js";
import {
  authorizationCodeGrant,
  clientCredentialsGrant,
  grantName,
  onBehalfOfGrant,
  passwordGrant,
  refreshTokenGrant,
  type GrantInput,
} from "./token-grants.js";

const GRANTS: Record<Exclude<GrantName, "other">, (context: StandInContext, input: GrantInput) => Promise<Record<string, unknown>>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  password: passwordGrant,
  client_credentials: clientCredentialsGrant,
  obo: onBehalfOfGrant,
};

/** Who a token request is about, found without using anything up (for fault filters). */
function peekUserKeys(context: StandInContext, grant: GrantName | undefined, params: URLSearchParams): { keys: string[]; tid?: string } {
  const keysOf = (user: { alias?: string; upn: string; oid: string; tid?: string } | undefined): { keys: string[]; tid?: string } =>
    user === undefined ? { keys: [] } : { keys: [user.alias, user.upn, user.oid].filter((key): key is string => key !== undefined), ...(user.tid === undefined ? {} : { tid: user.tid }) };
  switch (grant) {
    case "authorization_code":
      return keysOf(context.grants.peekCode(params.get("code") ?? "")?.user);
    case "refresh_token":
      return keysOf(context.grants.refreshGrant(params.get("refresh_token") ?? "")?.user);
    case "password":
      return keysOf(context.directory.user(params.get("username") ?? ""));
    case "obo": {
      try {
        const claims = decodeJwt(params.get("assertion") ?? "");
        const oid = typeof claims.oid === "string" ? claims.oid : undefined;
        const tid = typeof claims.tid === "string" ? claims.tid : undefined;
        const known = oid === undefined ? undefined : context.directory.user(oid, tid);
        if (known !== undefined) return keysOf(known);
        const loose = [oid, claims.preferred_username, claims.upn].filter((key): key is string => typeof key === "string");
        return { keys: loose, ...(tid === undefined ? {} : { tid }) };
      } catch {
        return { keys: [] };
      }
    }
    default:
      return { keys: [] };
  }
}

function assertionAudiences(context: StandInContext, scope: TenantScope): string[] {
  const origin = context.origin();
  const audiences = [`${origin}/${scope.segment}/oauth2/v2.0/token`];
  for (const id of scope.kind === "tenant" ? [scope.tenant.id] : [...context.directory.tenants.keys()]) {
    audiences.push(`${origin}/${id}/oauth2/v2.0/token`, `${origin}/${id}/oauth2/token`, context.tokens.v2Issuer(id));
  }
  return audiences;
}

/** Serves `POST /{tenant}/oauth2/v2.0/token`. */
export async function handleToken(context: StandInContext, segment: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const params = request.method === "POST" ? await readForm(request) : new URLSearchParams();
  const grant = grantName(params);
  const authorization = request.headers.authorization;
  const clientId = claimedClientId(params, authorization);
  const rawScope = params.get("scope");
  const record: RequestRecord = context.activity.begin({
    at: context.clock(),
    endpoint: "token",
    method: request.method ?? "GET",
    tenant: segment,
    status: 0,
    ...(grant === undefined ? {} : { grantType: grant }),
    ...(clientId === undefined ? {} : { clientId: clientId.toLowerCase() }),
    ...(rawScope === null ? {} : { scopes: rawScope.split(/\s+/).filter((item) => item !== "") }),
    resourceParameter: params.has("resource"),
    claimsParameter: params.has("claims"),
  });

  try {
    if (request.method !== "POST") throw aadsts.postRequired(request.method ?? "GET");
    const scope = resolveTenantSegment(context.directory, segment);
    const peeked = peekUserKeys(context, grant, params);
    const faultContext = {
      endpoint: "token" as const,
      ...(grant === undefined ? {} : { grantType: grant }),
      tenant: scope.kind === "tenant" ? scope.tenant.id : (peeked.tid ?? segment),
      ...(clientId === undefined ? {} : { clientId }),
      userKeys: peeked.keys,
      scopeKeys: scopeKeys(context, rawScope),
    };
    if (await applyTransportFaults(context, faultContext, request, response, record)) return;

    if (grant === undefined) throw aadsts.missingParameter("grant_type");
    if (grant === "other") throw aadsts.unsupportedGrantType(params.get("grant_type") ?? "");
    const authenticated = await authenticateClient(params, authorization, {
      directory: context.directory,
      keyring: context.keyring,
      now: context.clock(),
      ...(scope.kind === "tenant" ? { tenant: scope.tenant.id } : {}),
      assertionAudiences: assertionAudiences(context, scope),
      ownIssuers: ownIssuers(context),
      origin: context.origin(),
    });
    record.clientAuth = authenticated.method;
    const body = await GRANTS[grant](context, { params, authenticated, scope, record, faultContext });
    record.status = 200;
    sendJson(response, 200, body);
  } catch (error) {
    if (error instanceof EntraError) {
      sendEntraError(context, request, response, error, record);
      return;
    }
    throw error;
  }
}
