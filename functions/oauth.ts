import { toHttpHandler } from "../lib/adapter/azure-functions.js";
import type { LogLevel } from "../lib/config.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import type { FacadeHandlers } from "../lib/oauth/index.js";

/**
 * The authorization-server facade (proxy mode), one function per endpoint:
 * metadata (RFC 8414, also as OpenID discovery), registration (RFC 7591),
 * /authorize, /consent, /auth/callback, /token and /revoke (RFC 7009). CORS preflights are
 * answered where browser-based clients call directly.
 */
export function oauthEndpoints(handlers: FacadeHandlers, logLevel: LogLevel): HostedEndpoint[] {
  const metadata = toHttpHandler(handlers.metadata, logLevel);
  return [
    { name: "authorizationServerMetadata", route: ".well-known/oauth-authorization-server", methods: ["GET", "OPTIONS"], handler: metadata },
    { name: "openidConfiguration", route: ".well-known/openid-configuration", methods: ["GET", "OPTIONS"], handler: metadata },
    { name: "register", route: "register", methods: ["POST", "OPTIONS"], handler: toHttpHandler(handlers.register, logLevel) },
    { name: "authorize", route: "authorize", methods: ["GET"], handler: toHttpHandler(handlers.authorize, logLevel) },
    { name: "consent", route: "consent", methods: ["POST"], handler: toHttpHandler(handlers.consent, logLevel) },
    { name: "authCallback", route: "auth/callback", methods: ["GET"], handler: toHttpHandler(handlers.callback, logLevel) },
    { name: "token", route: "token", methods: ["POST", "OPTIONS"], handler: toHttpHandler(handlers.token, logLevel) },
    { name: "revoke", route: "revoke", methods: ["POST", "OPTIONS"], handler: toHttpHandler(handlers.revoke, logLevel) },
  ];
}
