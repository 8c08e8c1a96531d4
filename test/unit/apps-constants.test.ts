/** The MCP Apps names lib/mcp/apps.ts writes out are the ext-apps package's own. */
import assert from "node:assert/strict";
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import { APP_MIME_TYPE, RESOURCE_URI_META_KEY as KIT_RESOURCE_URI_META_KEY } from "../../lib/mcp/apps.js";

describe("MCP Apps constants", () => {
  it("equal @modelcontextprotocol/ext-apps' RESOURCE_MIME_TYPE and RESOURCE_URI_META_KEY", () => {
    assert.equal(APP_MIME_TYPE, RESOURCE_MIME_TYPE);
    assert.equal(KIT_RESOURCE_URI_META_KEY, RESOURCE_URI_META_KEY);
  });
});
