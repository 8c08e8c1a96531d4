/**
 * The `.vscode/mcp.json` entry for the deployed server, merged into whatever
 * the file already holds: other servers and inputs stay as they are.
 */
import { HookError } from "./hook-env.js";

/** What a VS Code remote MCP server entry needs. */
export interface McpServerEntry {
  readonly type: "http";
  readonly url: string;
}

/**
 * Adds or updates server `name` in the text of an mcp.json (undefined: no file yet).
 * Returns the new text and whether anything changed.
 * @throws HookError when the file is not plain JSON (e.g. has comments): it is not rewritten.
 */
export function mergeMcpServer(existing: string | undefined, name: string, url: string): { readonly text: string; readonly changed: boolean } {
  let config: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(existing);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("not an object");
      }
      config = parsed as Record<string, unknown>;
    } catch {
      throw new HookError(
        `.vscode/mcp.json is not plain JSON (comments?), so it was left alone. Add this server yourself:\n` +
          JSON.stringify({ servers: { [name]: { type: "http", url } } }, null, 2),
      );
    }
  }
  const servers = (typeof config["servers"] === "object" && config["servers"] !== null ? config["servers"] : {}) as Record<string, unknown>;
  const entry: McpServerEntry = { type: "http", url };
  const before = JSON.stringify(servers[name]);
  const merged = { ...config, servers: { ...servers, [name]: { ...(servers[name] as object | undefined), ...entry } } };
  const text = `${JSON.stringify(merged, null, 2)}\n`;
  return { text, changed: before !== JSON.stringify(merged.servers[name]) || existing === undefined };
}
