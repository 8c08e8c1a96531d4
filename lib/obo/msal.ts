/**
 * The process's one MSAL `ConfidentialClientApplication`, for tools that need
 * MSAL flows the kit does not wrap (`msal()`).
 *
 * MSAL's in-memory token cache grows with every user and never shrinks in a
 * long-lived process; a cache plugin empties it whenever it holds more than a
 * bounded number of entries, so memory stays flat however many users pass.
 */
import type { ConfidentialClientApplication, Configuration, ICachePlugin } from "@azure/msal-node";
import type { EntraSettings } from "../config.js";
import type { AppCredential } from "../entra/app-credential.js";
import type { Logger } from "../log.js";

/** Largest number of MSAL cache entries (tokens, accounts, metadata) kept before the cache is emptied. */
export const MSAL_CACHE_MAX_ENTRIES = 2000;

/**
 * A cache plugin that empties MSAL's cache once it exceeds `maxEntries`.
 * `clear` empties it: the application's `clearCache()` (the token cache's
 * `deserialize` only merges into what is there).
 */
export function boundedCachePlugin(maxEntries: number, log: Logger, clear: () => void): ICachePlugin {
  return {
    async beforeCacheAccess() {},
    async afterCacheAccess(context) {
      if (!context.cacheHasChanged) return;
      // The plugin is handed MSAL's TokenCache, whose key-value view is cheap to count (serializing is not).
      const cache = context.tokenCache as typeof context.tokenCache & { getKVStore?: () => object };
      const size = cache.getKVStore === undefined ? context.tokenCache.serialize().length / 2000 : Object.keys(cache.getKVStore()).length;
      if (size <= maxEntries) return;
      clear();
      log.info("msal.cache_emptied", { entries: size, maxEntries });
    },
  };
}

/** Creates the shared client application (MSAL is loaded here, on first use). */
export async function createMsalClient(settings: EntraSettings, credential: AppCredential, log: Logger, maxEntries = MSAL_CACHE_MAX_ENTRIES): Promise<ConfidentialClientApplication> {
  const msal = await import("@azure/msal-node");
  const authority = `${settings.authorityHost.origin}/${settings.tenant}`;
  const publicCloud = ["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"].includes(settings.authorityHost.hostname);
  const tokenEndpoint = new URL(`${authority}/oauth2/v2.0/token`);
  const assertionAuth =
    credential.kind === "secret"
      ? { clientSecret: (await credential.tokenRequestFields(tokenEndpoint))["client_secret"]! }
      : { clientAssertion: async () => (await credential.tokenRequestFields(tokenEndpoint))["client_assertion"]! };
  const configuration: Configuration = {
    auth: {
      clientId: settings.clientId,
      authority,
      // A host MSAL does not know (a sovereign cloud it knows anyway, or the local stand-in) must be declared, or MSAL asks login.microsoftonline.com to validate it.
      ...(publicCloud ? {} : { knownAuthorities: [settings.authorityHost.host] }),
      ...assertionAuth,
    },
    cache: { cachePlugin: boundedCachePlugin(maxEntries, log, () => application.clearCache()) },
    system: { loggerOptions: { piiLoggingEnabled: false, logLevel: msal.LogLevel.Warning, loggerCallback: (_level, message) => log.debug("msal.log", { message }) } },
  };
  const application = new msal.ConfidentialClientApplication(configuration);
  return application;
}
