/**
 * Runs the kit's ManagedIdentityCredential once in a process of its own and
 * prints how it ended, as one JSON line: `{"ms":512,"error":"SecretUnavailableError"}`.
 *
 * A child process, because `@azure/identity` (through msal-node) remembers
 * the managed identity endpoint of the first token request in a static field
 * for the life of the process: a test pointing it at a hung endpoint would
 * otherwise leave every later in-process test talking to that endpoint.
 *
 * Usage: IDENTITY_ENDPOINT=... IDENTITY_HEADER=... node identity-child.js <client id> <timeout ms>
 */
import { ManagedIdentityCredential } from "../../lib/entra/app-credential.js";
import { createLogger } from "../../lib/log.js";

const [clientId = "", timeout = "10000"] = process.argv.slice(2);
const events: string[] = [];
const credential = new ManagedIdentityCredential(clientId, "api://AzureADTokenExchange", createLogger("debug", (_level, event) => events.push(event)), undefined, Number(timeout));
const started = Date.now();
try {
  await credential.tokenRequestFields();
  console.log(JSON.stringify({ ms: Date.now() - started, error: null, events }));
} catch (error) {
  console.log(JSON.stringify({ ms: Date.now() - started, error: error instanceof Error ? error.name : String(error), events }));
}
// The hung request inside the SDK would keep the process alive; the answer is already out.
process.exit(0);
