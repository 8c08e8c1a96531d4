/**
 * Entra for the benchmark: the local stand-in (dev/entra) with the default
 * directory plus as many generated users as a run needs, the settings that
 * point the kit at it, and access tokens per user, minted once and reused.
 */
import { DEV_TENANT_ID, DEV_TENANTS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, defaultEntraStandInOptions } from "../dev/defaults.js";
import { startEntraStandIn, type DevUserConfig, type EntraStandIn } from "../dev/entra/index.js";

export interface BenchEntra {
  readonly standIn: EntraStandIn;
  /** Settings of a kit signed in through the stand-in (proxy mode, client secret). */
  readonly kitEnv: Readonly<Record<string, string>>;
  /** Generated users available. */
  readonly userCount: number;
  /** An access token to the kit for generated user `index` (minted on first request). */
  token(index: number): Promise<string>;
  /** Tokens for users `from` .. `from + count - 1`. */
  tokens(from: number, count: number): Promise<string[]>;
  /** Forgets minted tokens (they are a few megabytes for ten thousand users). */
  forgetTokens(): void;
  /** OBO requests the stand-in has answered so far. */
  oboRequests(): number;
  close(): Promise<void>;
}

/** A generated user: alias `bench-00042`, object id ending in the number. */
export function benchUser(index: number): DevUserConfig {
  const number = String(index).padStart(5, "0");
  return {
    alias: `bench-${number}`,
    displayName: `Bench User ${number}`,
    upn: `bench-${number}@contoso.example`,
    oid: `be5c0000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`,
  };
}

/** Starts the stand-in with `userCount` generated users in the dev tenant. */
export async function startBenchEntra(userCount: number): Promise<BenchEntra> {
  const generated = Array.from({ length: userCount }, (_, index) => benchUser(index));
  const tenants = DEV_TENANTS.map((tenant) => (tenant.id === DEV_TENANT_ID ? { ...tenant, users: [...tenant.users, ...generated] } : tenant));
  const standIn = await startEntraStandIn(defaultEntraStandInOptions({ tenants }));
  let minted = new Map<number, Promise<string>>();
  const token = (index: number): Promise<string> => {
    if (index < 0 || index >= userCount) throw new RangeError(`no generated user ${index}`);
    let pending = minted.get(index);
    if (pending === undefined) {
      pending = standIn.mintAccessToken({ user: benchUser(index).alias });
      minted.set(index, pending);
    }
    return pending;
  };
  return {
    standIn,
    kitEnv: {
      AUTH_MODE: "proxy",
      ENTRA_TENANT_ID: DEV_TENANT_ID,
      ENTRA_CLIENT_ID: KIT_CLIENT_ID,
      ENTRA_AUTHORITY_HOST: standIn.origin,
      ENTRA_CLIENT_SECRET: KIT_DEV_CLIENT_SECRET,
    },
    userCount,
    token,
    tokens: (from, count) => Promise.all(Array.from({ length: count }, (_, offset) => token(from + offset))),
    forgetTokens: () => {
      minted = new Map();
    },
    oboRequests: () => standIn.activity.counts().obo,
    close: () => standIn.close(),
  };
}
