/**
 * Authentication wiring: from the settings to the gate in front of `/mcp` and
 * the protected resource metadata. Built once per process; the signing keys
 * are fetched on the first request, not at startup.
 */
import type { AuthMode, KitConfig } from "../config.js";
import { AccessTokenValidator } from "../entra/access-token.js";
import { EntraAuthority } from "../entra/authority.js";
import { SigningKeys } from "../entra/signing-keys.js";
import type { Logger } from "../log.js";
import { createGate, type Gate } from "./gate.js";
import { ProtectedResource } from "./protected-resource.js";

export interface Auth {
  readonly mode: AuthMode;
  /** Absent when the mode is none. */
  readonly resource?: ProtectedResource;
  readonly gate?: Gate;
  readonly authority?: EntraAuthority;
}

/** Builds the authentication pieces the settings call for. */
export function createAuth(config: KitConfig, log: Logger): Auth {
  if (config.authMode === "none" || config.entra === undefined) return { mode: "none" };
  const authority = new EntraAuthority(config.entra);
  const keys = new SigningKeys({ jwksUri: authority.jwksUri, cooldownMs: config.entra.jwksCooldownMs, log });
  const validator = new AccessTokenValidator({ settings: config.entra, authority, keys });
  const resource = new ProtectedResource(config, authority);
  return { mode: config.authMode, resource, gate: createGate(resource, validator), authority };
}
