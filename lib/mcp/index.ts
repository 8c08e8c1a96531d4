/** The tool definition API: everything a tool in `tools/` imports from the kit. */
export { defineTool, ToolError, ToolDefinitionError } from "./tool.js";
export type { AnyTool, InputOf, Shape, Tool, ToolContext, ToolSpec, UnstructuredReturn } from "./tool.js";
export type { McpServerDefinition } from "./server.js";
export { accessToken, claim, NeedError, StepUpRequiredError, user } from "./needs.js";
export { appToken, msal, obo } from "../obo/need.js";
export type { DownstreamToken } from "../obo/need.js";
export type { Need, Needs, SignedInUser } from "./needs.js";
