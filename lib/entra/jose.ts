/**
 * jose, loaded on first use. Forty-odd modules cost a third of the import
 * time of the MCP SDK itself (bench/README.md, cold start), and most cold
 * starts begin with requests that need no signature: an anonymous call to
 * /mcp answered 401, the metadata documents, the health check.
 */
type Jose = typeof import("jose");

let loading: Promise<Jose> | undefined;

/** The jose module; the first call loads it, later calls share it. */
export function loadJose(): Promise<Jose> {
  loading ??= import("jose");
  return loading;
}
