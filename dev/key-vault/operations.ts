/**
 * The Key Vault REST operations the fake vault implements, over a
 * {@link VaultStore}: routing of `/secrets/...` and `/deletedsecrets/...`
 * paths, request bodies, and the answers (status and Key Vault JSON) each
 * case gets. Authentication and fault injection happen before, in fake-vault.ts.
 */
import type { IncomingMessage } from "node:http";
import { readBody } from "../http.js";
import { VaultConflict, type VaultStore, type VersionInput } from "./store.js";
import { deletedBundle, errorBody, secretBundle } from "./wire.js";

/** Sends one answer: status and JSON body (none for 204). */
export type Answer = (status: number, body: unknown) => void;

/** A parsed operation path. */
export interface Route {
  readonly collection: "secrets" | "deletedsecrets";
  readonly name: string;
  /** `undefined` when the path has no version segment; "" for a trailing slash. */
  readonly version: string | undefined;
  /** `recover` for `POST /deletedsecrets/{name}/recover`. */
  readonly action: string | undefined;
}

/** `/secrets/{name}[/{version}]` or `/deletedsecrets/{name}[/recover]`. */
export function parseRoute(pathname: string): Route | undefined {
  const [, collection, name, third, ...rest] = pathname.split("/");
  if ((collection !== "secrets" && collection !== "deletedsecrets") || name === undefined || name === "" || rest.length > 0) return undefined;
  const segment = third === undefined ? undefined : decodeURIComponent(third);
  if (collection === "deletedsecrets") {
    if (segment !== undefined && segment !== "" && segment !== "recover") return undefined;
    return { collection, name: decodeURIComponent(name), version: undefined, action: segment === "recover" ? "recover" : undefined };
  }
  return { collection, name: decodeURIComponent(name), version: segment, action: undefined };
}

interface WriteBody {
  readonly value?: unknown;
  readonly contentType?: unknown;
  readonly tags?: unknown;
  readonly attributes?: { readonly enabled?: unknown; readonly nbf?: unknown; readonly exp?: unknown };
}

async function readJson(request: IncomingMessage): Promise<WriteBody> {
  const text = await readBody(request);
  if (text === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as WriteBody) : {};
  } catch {
    return {};
  }
}

function versionInput(body: WriteBody): VersionInput {
  const attributes = body.attributes ?? {};
  const tags = body.tags;
  return {
    ...(typeof attributes.enabled === "boolean" ? { enabled: attributes.enabled } : {}),
    ...(typeof attributes.nbf === "number" ? { nbf: attributes.nbf } : {}),
    ...(typeof attributes.exp === "number" ? { exp: attributes.exp } : {}),
    ...(typeof body.contentType === "string" ? { contentType: body.contentType } : {}),
    ...(typeof tags === "object" && tags !== null ? { tags: tags as Record<string, string> } : {}),
  };
}

/** Performs the operation `route` names and answers it; unknown method and path pairs get 405. */
export async function operate(store: VaultStore, origin: string, request: IncomingMessage, route: Route, answer: Answer): Promise<void> {
  const method = request.method ?? "GET";
  const { name, version } = route;
  const notFound = (what = "secret"): void =>
    answer(
      404,
      errorBody(
        "SecretNotFound",
        what === "secret"
          ? `A secret with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`
          : `Deleted Secret not found: ${name}`,
      ),
    );

  if (route.collection === "secrets") {
    if (method === "GET" && route.action === undefined) {
      const stored = store.version(name, version);
      if (stored === undefined) return notFound();
      if (!stored.enabled) return answer(403, errorBody("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"));
      return answer(200, secretBundle(origin, store.secret(name)!, stored));
    }
    if (method === "PUT" && !version) {
      const body = await readJson(request);
      if (typeof body.value !== "string") return answer(400, errorBody("BadParameter", "Property 'value' is required."));
      try {
        const stored = store.set(name, body.value, versionInput(body));
        return answer(200, secretBundle(origin, store.secret(name)!, stored));
      } catch (error) {
        if (error instanceof VaultConflict) return answer(409, errorBody("Conflict", error.message, error.innerCode));
        throw error;
      }
    }
    if (method === "PATCH" && version !== undefined) {
      const stored = store.update(name, version, versionInput(await readJson(request)));
      if (stored === undefined) return notFound();
      return answer(200, secretBundle(origin, store.secret(name)!, stored, false));
    }
    if (method === "DELETE" && !version) {
      const deleted = store.delete(name);
      if (deleted === undefined) return notFound();
      return answer(200, deletedBundle(origin, deleted));
    }
  } else {
    if (method === "GET" && route.action === undefined && !version) {
      const deleted = store.deleted(name);
      return deleted === undefined ? notFound("deleted") : answer(200, deletedBundle(origin, deleted));
    }
    if (method === "POST" && route.action === "recover") {
      const secret = store.recover(name);
      if (secret === undefined) return notFound("deleted");
      return answer(200, secretBundle(origin, secret, secret.versions.at(-1)!, false));
    }
    if (method === "DELETE" && route.action === undefined && !version) {
      return store.purge(name) ? answer(204, undefined) : notFound("deleted");
    }
  }
  request.resume();
  answer(405, errorBody("MethodNotAllowed", `The fake vault does not implement ${method} on this path.`));
}
