/**
 * Azurite's Table service (the `azurite` devDependency) for tests: one
 * throwaway process per call on a free loopback port, data in memory only,
 * with an account and key made up for this run (no well-known key needed).
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { startChildService, type ChildService } from "./child-service.js";

export interface RunningAzurite {
  readonly port: number;
  /** A connection string for this instance's account. */
  readonly connectionString: string;
  /** Stops Azurite; its tables and rows are gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

const AZURITE_TABLE = fileURLToPath(new URL("../../../node_modules/.bin/azurite-table", import.meta.url));

/**
 * Starts Azurite's Table service.
 *
 * @example
 * const azurite = await startAzurite();
 * const store = new TableTokenStore({ connectionString: azurite.connectionString, tableName: "obocache" });
 * await azurite.stop();
 */
export async function startAzurite(): Promise<RunningAzurite> {
  const account = "obotest";
  const key = randomBytes(32).toString("base64");
  const service: ChildService = await startChildService({
    name: "Azurite",
    command: AZURITE_TABLE,
    args: (port) => [
      "--tableHost", "127.0.0.1",
      "--tablePort", String(port),
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--silent",
    ],
    env: { AZURITE_ACCOUNTS: `${account}:${key}` },
    ready: /successfully (started|listening)/i,
    installHint: "run npm install: azurite is a devDependency",
  });
  return {
    port: service.port,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};TableEndpoint=http://127.0.0.1:${service.port}/${account};`,
    stop: () => service.stop(),
    restart: () => service.start(),
  };
}
