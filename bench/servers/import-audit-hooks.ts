/**
 * Module loader hooks for the import probe's `--audit` runs: every resolved
 * module URL is posted back to the probe, so that it can list the packages
 * an import pulled in.
 */
import type { MessagePort } from "node:worker_threads";

let port: MessagePort | undefined;

/** Receives the probe's port. */
export function initialize(data: { port: MessagePort }): void {
  port = data.port;
}

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

/** Passes resolution on unchanged and reports the result. */
export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<{ url: string }> {
  const result = await nextResolve(specifier, context);
  port?.postMessage(result.url);
  return result;
}
