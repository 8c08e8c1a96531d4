/**
 * The fake vault's contents: secrets with their versions, and soft-deleted
 * secrets, kept the way Key Vault keeps them.
 *
 * - Names are case-insensitive (`Sealing-Keyring` and `sealing-keyring` are
 *   one secret); the name first used is the one shown in ids.
 * - Every write creates a version, a 32-character lower-case hex id; the
 *   newest is what `GET /secrets/{name}` answers.
 * - Deleting moves the whole secret, versions and all, to the deleted
 *   collection; its name cannot be reused until it is recovered or purged.
 * - Times are epoch seconds, as on the wire.
 */
import { randomBytes } from "node:crypto";

/** Attributes a caller may set on a version (`attributes` on the wire). */
export interface VersionAttributes {
  readonly enabled?: boolean;
  /** Not valid before, epoch seconds. */
  readonly nbf?: number;
  /** Expires, epoch seconds. */
  readonly exp?: number;
}

/** What a write may carry besides the value. */
export interface VersionInput extends VersionAttributes {
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** One version of a secret as the vault keeps it; times in epoch seconds. */
export interface StoredVersion {
  readonly version: string;
  readonly value: string;
  contentType: string | undefined;
  tags: Readonly<Record<string, string>> | undefined;
  enabled: boolean;
  nbf: number | undefined;
  exp: number | undefined;
  readonly created: number;
  updated: number;
}

/** A live secret and all its versions. */
export interface StoredSecret {
  /** The name as first written. */
  readonly name: string;
  /** Oldest first; the last one is current. */
  readonly versions: StoredVersion[];
}

/** A soft-deleted secret, recoverable until `scheduledPurgeDate` (epoch seconds). */
export interface DeletedSecret {
  readonly secret: StoredSecret;
  readonly deletedDate: number;
  readonly scheduledPurgeDate: number;
}

/** Why a write or recovery was refused; the fake vault turns it into Key Vault's error response. */
export class VaultConflict extends Error {
  constructor(
    readonly innerCode: "ObjectIsDeletedButRecoverable" | "ObjectIsBeingDeleted",
    message: string,
  ) {
    super(message);
    this.name = "VaultConflict";
  }
}

/** Days a deleted secret stays recoverable (the vault's soft-delete retention). */
export const RECOVERABLE_DAYS = 90;

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Secrets and deleted secrets of one fake vault. */
export class VaultStore {
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #deleted = new Map<string, DeletedSecret>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Adds a version (creating the secret); refused while a deleted secret holds the name. */
  set(name: string, value: string, input: VersionInput = {}): StoredVersion {
    const key = name.toLowerCase();
    if (this.#deleted.has(key)) {
      throw new VaultConflict(
        "ObjectIsDeletedButRecoverable",
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      );
    }
    const now = epochSeconds(this.#now());
    const stored: StoredVersion = {
      version: randomBytes(16).toString("hex"),
      value,
      contentType: input.contentType,
      tags: input.tags,
      enabled: input.enabled ?? true,
      nbf: input.nbf,
      exp: input.exp,
      created: now,
      updated: now,
    };
    const secret = this.#secrets.get(key) ?? { name, versions: [] };
    secret.versions.push(stored);
    this.#secrets.set(key, secret);
    return stored;
  }

  /** The secret, or undefined when there is none (or it is deleted). */
  secret(name: string): StoredSecret | undefined {
    return this.#secrets.get(name.toLowerCase());
  }

  /** One version, or the current one when `version` is empty or absent. */
  version(name: string, version?: string): StoredVersion | undefined {
    const secret = this.secret(name);
    if (secret === undefined) return undefined;
    if (version === undefined || version === "") return secret.versions.at(-1);
    return secret.versions.find((candidate) => candidate.version === version.toLowerCase());
  }

  /** Changes attributes of a version (the current one when `version` is empty). */
  update(name: string, version: string | undefined, input: VersionInput): StoredVersion | undefined {
    const stored = this.version(name, version);
    if (stored === undefined) return undefined;
    if (input.enabled !== undefined) stored.enabled = input.enabled;
    if (input.nbf !== undefined) stored.nbf = input.nbf;
    if (input.exp !== undefined) stored.exp = input.exp;
    if (input.contentType !== undefined) stored.contentType = input.contentType;
    if (input.tags !== undefined) stored.tags = input.tags;
    stored.updated = epochSeconds(this.#now());
    return stored;
  }

  /** Soft-deletes a secret with all its versions. */
  delete(name: string): DeletedSecret | undefined {
    const key = name.toLowerCase();
    const secret = this.#secrets.get(key);
    if (secret === undefined) return undefined;
    this.#secrets.delete(key);
    const deletedDate = epochSeconds(this.#now());
    const deleted = { secret, deletedDate, scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * 86_400 };
    this.#deleted.set(key, deleted);
    return deleted;
  }

  deleted(name: string): DeletedSecret | undefined {
    return this.#deleted.get(name.toLowerCase());
  }

  /** Brings a deleted secret back, versions and all. */
  recover(name: string): StoredSecret | undefined {
    const key = name.toLowerCase();
    const deleted = this.#deleted.get(key);
    if (deleted === undefined) return undefined;
    this.#deleted.delete(key);
    this.#secrets.set(key, deleted.secret);
    return deleted.secret;
  }

  /** Removes a deleted secret for good; false when there is none. */
  purge(name: string): boolean {
    return this.#deleted.delete(name.toLowerCase());
  }

  /** Forgets everything. */
  clear(): void {
    this.#secrets.clear();
    this.#deleted.clear();
  }
}
