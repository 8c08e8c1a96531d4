/** The tool definition API: everything a tool in `tools/` imports from the kit. */
export { defineTool, ToolError, ToolDefinitionError } from "./tool.js";
export type { AnyTool, InputOf, SchemaSpec, Shape, Tool, ToolContext, ToolSpec, UnstructuredReturn } from "./tool.js";
export { jsonSchema } from "./json-schema.js";
export type { JsonSchema, JsonSchemaObject } from "./json-schema.js";
export type { McpServerDefinition } from "./server.js";
export { accessToken, claim, NeedError, StepUpRequiredError, user } from "./needs.js";
export { msal, obo } from "../obo/need.js";
export { secret } from "../secrets/need.js";
export type { DownstreamToken } from "../obo/need.js";
export type { Need, Needs, SignedInUser } from "./needs.js";
