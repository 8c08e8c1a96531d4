/** The definition API: everything a tool, resource or prompt in `tools/` imports from the kit. */
export { defineTool, ToolError, ToolDefinitionError } from "./tool.js";
export type { AnyTool, InputOf, SchemaSpec, Shape, Tool, ToolContext, ToolSpec, UnstructuredReturn } from "./tool.js";
export { jsonSchema } from "./json-schema.js";
export type { JsonSchema, JsonSchemaObject } from "./json-schema.js";
export type { McpServerDefinition } from "./server.js";
export { accessToken, claim, NeedError, StepUpRequiredError, user } from "./needs.js";
export { appToken, msal, obo } from "../obo/need.js";
export { secret } from "../secrets/need.js";
export type { DownstreamToken } from "../obo/need.js";
export type { Need, Needs, SignedInUser } from "./needs.js";
export type { Requirements } from "./requirements.js";
export { defineResource, defineResourceTemplate, DefinitionError, ResourceError, ResourceNotFound } from "./resource.js";
export type { AnyResource, CompletionContext, ListedResource, Resource, ResourceContext, ResourceReturn, ResourceSpec, ResourceTemplateDefinition, ResourceTemplateSpec } from "./resource.js";
export { definePrompt, PromptError } from "./prompt.js";
export type { AnyPrompt, Prompt, PromptContext, PromptReturn, PromptSpec } from "./prompt.js";
export { APP_MIME_TYPE, appDocument, defineAppResource } from "./apps.js";
export type { AppDocumentParts, AppResource, AppResourceSpec } from "./apps.js";
