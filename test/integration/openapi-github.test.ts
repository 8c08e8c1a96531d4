/**
 * A real-world document nobody here wrote: GitHub's REST API as
 * @octokit/openapi publishes it (1,200 operations, OpenAPI 3.0.3, with
 * `$ref`s and fully dereferenced), and the same restated as 3.1. Every
 * operation must become a tool with a valid, unique name and schemas that
 * are valid JSON Schema 2020-12; a twenty-operation subset must load on its
 * own. (How long generation takes is measured in bench/, not asserted here.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { AnyTool } from "../../lib/mcp/index.js";
import { schemasOf } from "../../lib/mcp/schemas.js";
import { openApiTools } from "../../lib/openapi/index.js";
import { upgradeTo31 } from "../support/openapi-upgrade.js";

const require = createRequire(import.meta.url);
const GITHUB = require.resolve("@octokit/openapi/generated/api.github.com.json");
const GITHUB_DEREFERENCED = require.resolve("@octokit/openapi/generated/api.github.com.deref.json");
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ARGUMENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** The operations of the document, counted here independently of the kit. */
function operationIdsOf(document: Record<string, unknown>): string[] {
  const ids: string[] = [];
  for (const item of Object.values(document["paths"] as Record<string, Record<string, { operationId?: string }>>)) {
    for (const [method, operation] of Object.entries(item)) if (METHODS.has(method)) ids.push(operation.operationId!);
  }
  return ids;
}

/** Checks every tool's name and schemas; returns the names. */
function checkTools(tools: readonly AnyTool[]): string[] {
  // validateSchema checks a schema against the 2020-12 meta-schema; compile (below, a sample) also resolves references.
  const ajv = new Ajv2020({ strict: false, logger: false });
  const names = tools.map((tool) => tool.name);
  for (const tool of tools) {
    assert.match(tool.name, TOOL_NAME);
    assert.ok(tool.description.trim().length > 0, tool.name);
    const schemas = schemasOf(tool);
    const input = schemas.input["~standard"].jsonSchema.input({ target: "draft-2020-12" });
    assert.equal(input["type"], "object", tool.name);
    for (const argument of Object.keys(input["properties"] as object)) assert.match(argument, ARGUMENT_NAME, `${tool.name} argument ${argument}`);
    for (const schema of [input, schemas.output?.["~standard"].jsonSchema.output({ target: "draft-2020-12" })]) {
      if (schema === undefined) continue;
      assert.equal(schema["type"], "object", tool.name);
      assert.equal(ajv.validateSchema(schema), true, `${tool.name}: ${ajv.errorsText(ajv.errors)}`);
      assert.ok(!JSON.stringify(schema).includes('"x-'), `${tool.name} keeps an extension keyword`);
    }
  }
  assert.equal(new Set(names).size, names.length, "tool names are unique");
  for (const tool of tools.filter((_, index) => index % 40 === 0)) {
    const schemas = schemasOf(tool);
    ajv.compile(schemas.input["~standard"].jsonSchema.input({ target: "draft-2020-12" }));
    if (schemas.output !== undefined) ajv.compile(schemas.output["~standard"].jsonSchema.output({ target: "draft-2020-12" }));
  }
  return names;
}

describe("OpenAPI tools from GitHub's published document (@octokit/openapi)", function () {
  this.timeout(300_000);
  const document = JSON.parse(readFileSync(GITHUB, "utf8")) as Record<string, unknown>;
  const operationIds = operationIdsOf(document);
  let names30: string[];

  it("has over a thousand operations (the premise of these tests)", () => {
    assert.ok(operationIds.length > 1000, String(operationIds.length));
  });

  it("3.0 with $refs: every operation is a tool with a valid unique name and valid JSON Schemas", async () => {
    const tools = await openApiTools({ document: GITHUB });
    assert.equal(tools.length, operationIds.length);
    names30 = checkTools(tools);
    // Its operationIds look like "repos/get": the slash becomes "_", nothing else changes.
    assert.deepEqual(names30, operationIds.map((id) => id.replace(/[^A-Za-z0-9_.-]+/g, "_")));
    const get = tools.find((tool) => tool.name === "repos_get")!;
    assert.deepEqual(get.annotations, { readOnlyHint: true, openWorldHint: true });
    assert.deepEqual(Object.keys((get.input as { schema: { properties: object } }).schema.properties), ["owner", "repo"]);
    assert.equal(get.needs?.["api"], undefined, "GitHub's document declares no security: no token is sent");
  });

  it("3.0 fully dereferenced: the same tools", async () => {
    const tools = await openApiTools({ document: GITHUB_DEREFERENCED });
    assert.deepEqual(checkTools(tools), names30);
  });

  it("restated as 3.1: the same tools, nullable values as a null type", async () => {
    const tools = await openApiTools({ document: upgradeTo31(document) });
    assert.deepEqual(checkTools(tools), names30);
    const get = tools.find((tool) => tool.name === "repos_get")!;
    const output = JSON.stringify(schemasOf(get).output!["~standard"].jsonSchema.output({ target: "draft-2020-12" }));
    assert.ok(output.includes('["string","null"]') && !output.includes('"nullable"'));
  });

  it("a subset of twenty, chosen by operationId, tag and path, loads on its own", async () => {
    const tools = await openApiTools({
      document: GITHUB,
      prefix: "gh_",
      include: ["repos/get", "repos/list-for-user", "users/get-by-username", "tag:gitignore", "tag:emojis", "tag:meta", "tag:codes-of-conduct", "GET /repos/{owner}/{repo}/issues", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "GET /search/*"],
      exclude: ["search/labels", "search/topics", "search/code"],
    });
    const names = checkTools(tools);
    assert.equal(names.length, 20, names.join(", "));
    assert.ok(names.every((name) => name.startsWith("gh_")));
    for (const name of ["gh_repos_get", "gh_issues_list-for-repo", "gh_issues_create-comment", "gh_search_repos", "gh_emojis_get", "gh_gitignore_get-template"]) assert.ok(names.includes(name), name);
    assert.ok(!names.includes("gh_search_code"));
  });
});
