/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension, SEP-1865): a tool
 * declares an HTML view, a `ui://` resource, that clients which render MCP
 * Apps show in a sandboxed frame with the tool's result; other clients use
 * the tool's ordinary result.
 *
 * The conventions are those of `@modelcontextprotocol/ext-apps`: the MIME
 * type `text/html;profile=mcp-app`, `_meta.ui.resourceUri` on the tool (its
 * `registerAppTool` adds the older `_meta["ui/resourceUri"]` too), and
 * `_meta.ui` on the resource for the content security policy the view needs.
 */
import { createHash } from "node:crypto";
import type { McpUiResourceCsp, McpUiResourcePermissions } from "@modelcontextprotocol/ext-apps";
import { defineResource, DefinitionError, type Resource } from "./resource.js";

/**
 * ext-apps' `RESOURCE_MIME_TYPE` and `RESOURCE_URI_META_KEY`, written out:
 * importing the package's server entry for two strings cost every cold start
 * a module graph of its own. test/unit/apps-constants.test.ts keeps them
 * equal to the package's.
 */
const RESOURCE_MIME_TYPE = "text/html;profile=mcp-app" as const;
const RESOURCE_URI_META_KEY = "ui/resourceUri" as const;

export { RESOURCE_MIME_TYPE as APP_MIME_TYPE, RESOURCE_URI_META_KEY };

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an app view has no needs.
type NoNeeds = {};

/** An MCP Apps view: an HTML resource at a `ui://` URI. */
export type AppResource = Resource<NoNeeds> & { readonly mimeType: typeof RESOURCE_MIME_TYPE };

export interface AppResourceSpec {
  /** `ui://<server>/<view>`: the URI tools point at. */
  readonly uri: string;
  /** Programmatic name, unique among the server's resources. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /**
   * The whole HTML5 document. Hosts fetch it once and may cache it for
   * everyone (it must not depend on the caller); the tool's result reaches
   * it through the host (`ui/notifications/tool-result`).
   */
  readonly html: string;
  /**
   * The origins the view may reach. Omitted lists mean none: no network
   * requests, no outside scripts, styles or images, no frames. Hosts build
   * the frame's Content-Security-Policy from it and may only tighten it.
   */
  readonly csp: McpUiResourceCsp;
  /** Browser features the view asks for (camera, microphone, geolocation, clipboard). */
  readonly permissions?: McpUiResourcePermissions;
  /** Whether the host should draw a border and background around the view. */
  readonly prefersBorder?: boolean;
}

/**
 * Defines an MCP Apps view for tools to declare with `ui`.
 *
 * @example
 * export const profileCard = defineAppResource({
 *   uri: "ui://graph-me/profile-card",
 *   name: "profile-card",
 *   html: PROFILE_CARD_HTML,
 *   csp: {},                      // needs nothing from the network
 *   prefersBorder: true,
 * });
 * // tools/graph-me.ts: defineTool({ name: "graph_me", ui: profileCard, ... })
 * @throws DefinitionError when the URI is not a ui:// URI or the HTML is not a document.
 */
export function defineAppResource(spec: AppResourceSpec): AppResource {
  if (!spec.uri.startsWith("ui://")) throw new DefinitionError("App resource", spec.name, `uri must use the ui:// scheme (got ${JSON.stringify(spec.uri)})`);
  if (!/^\s*<!doctype html>/i.test(spec.html)) throw new DefinitionError("App resource", spec.name, "html must be a whole HTML5 document starting with <!DOCTYPE html>");
  const ui = { csp: spec.csp, ...(spec.permissions === undefined ? {} : { permissions: spec.permissions }), ...(spec.prefersBorder === undefined ? {} : { prefersBorder: spec.prefersBorder }) };
  const html = spec.html;
  return defineResource({
    uri: spec.uri,
    name: spec.name,
    ...(spec.title === undefined ? {} : { title: spec.title }),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    mimeType: RESOURCE_MIME_TYPE,
    // On the listing (hosts review it at connection time) and on the content (which takes precedence).
    meta: { ui },
    read: async () => html,
  }) as AppResource;
}

/** Whether a resource is an MCP Apps view. */
export function isAppResource(resource: { readonly mimeType?: string }): boolean {
  return resource.mimeType === RESOURCE_MIME_TYPE;
}

/**
 * A tool's `_meta` for its view: `ui.resourceUri`, plus the older flat
 * `ui/resourceUri` key that hosts built before the nested form still read
 * (what ext-apps' `registerAppTool` writes).
 */
export function appToolMeta(view: AppResource): Record<string, unknown> {
  return { ui: { resourceUri: view.uri }, [RESOURCE_URI_META_KEY]: view.uri };
}

/** The parts of a self-contained view: its inline stylesheet and script, and the body markup. */
export interface AppDocumentParts {
  readonly title: string;
  readonly style: string;
  readonly script: string;
  /** Markup only: inline `style` attributes and event handler attributes are refused by the document's policy. */
  readonly body: string;
}

/**
 * A whole HTML5 document for a view whose code is all inline, with its own
 * Content-Security-Policy: nothing but that one script and that one
 * stylesheet (pinned by their SHA-256) may run, and nothing may be loaded.
 * Hosts apply the policy built from the resource's `csp` as well; the
 * stricter of the two wins, so a view that needs nothing stays that way
 * whatever a host allows.
 *
 * @example
 * html: appDocument({ title: "Profile card", style: CSS, script: JS, body: "<main id=card></main>" })
 */
export function appDocument(parts: AppDocumentParts): string {
  const hash = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
  const policy = ["default-src 'none'", `script-src ${hash(parts.script)}`, `style-src ${hash(parts.style)}`, "img-src data:", "base-uri 'none'", "form-action 'none'"].join("; ");
  const title = parts.title.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    `<title>${title}</title>`,
    `<style>${parts.style}</style>`,
    "</head>",
    `<body>${parts.body}<script>${parts.script}</script></body>`,
    "</html>",
  ].join("\n");
}
