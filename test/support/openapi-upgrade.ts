/**
 * An OpenAPI 3.0 document restated as 3.1, for tests that need a large
 * real-world 3.1 document (GitHub's is published as 3.0 only in
 * @octokit/openapi). The mechanical part of the upgrade guide
 * (https://www.openapis.org/blog/2021/02/16/migrating-from-openapi-3-0-to-3-1-0):
 * the version, `nullable: true` as a `"null"` type, boolean exclusive bounds
 * as numbers. A copy; the input is left alone.
 */
export function upgradeTo31(document: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy = structuredClone(document) as Record<string, unknown>;
  copy["openapi"] = "3.1.0";
  const pending: unknown[] = [copy];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    const node = value as Record<string, unknown>;
    if (node["nullable"] === true) {
      delete node["nullable"];
      if (typeof node["type"] === "string") node["type"] = [node["type"], "null"];
      else if (node["type"] === undefined && node["enum"] === undefined) {
        const inner = { ...node };
        for (const key of Object.keys(node)) delete node[key];
        node["anyOf"] = [inner, { type: "null" }];
      }
      if (Array.isArray(node["enum"]) && !node["enum"].includes(null)) node["enum"] = [...node["enum"], null];
    }
    for (const [flag, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
      if (typeof node[flag] !== "boolean") continue;
      if (node[flag] === true) node[flag] = node[bound];
      else delete node[flag];
      if (node[flag] !== undefined) delete node[bound];
    }
    pending.push(...Object.values(node));
  }
  return copy;
}
