/**
 * azure.yaml, host.json and local.settings.example.json against the JSON
 * schemas their tools publish, kept in ../shared/third_party/schemas/.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AnySchemaObject, ErrorObject } from "ajv";
import Ajv2019Module from "ajv/dist/2019.js";
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { defaultPaths } from "../../scripts/infra/bicep-toolchain.js";

// ajv and ajv-formats are CommonJS with a default export; NodeNext sees the module object.
const Ajv2019 = Ajv2019Module.default;
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

const { projectRoot, thirdPartyDir } = defaultPaths();
const schemaDir = join(thirdPartyDir, "schemas");

async function json(path: string): Promise<AnySchemaObject> {
  return JSON.parse(await readFile(path, "utf8")) as AnySchemaObject;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/**
 * The azure.yaml schema refers to the schemas of azd extensions (azure.ai.*
 * hosts) by URL. They cannot be fetched offline and only apply to those
 * hosts, which this project does not use: they are registered as empty
 * schemas, so every other part of the schema is still enforced.
 */
function externalRefs(schema: unknown): string[] {
  const refs = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (typeof node === "object" && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string" && /^https?:/.test(value)) {
          refs.add(value.split("#")[0]!);
        }
        walk(value);
      }
    }
  };
  walk(schema);
  return [...refs];
}

describe("infra: configuration files against their published schemas", () => {
  it("azure.yaml validates against the azd schema (draft 2019-09)", async () => {
    const schema = await json(join(schemaDir, "azure.yaml.schema.json"));
    // Third-party schema: it carries annotations ajv's strict mode does not know (e.g. "comment").
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const ref of externalRefs(schema)) {
      assert.match(ref, /\/cli\/azd\/extensions\/azure\.ai\.[a-z]+\/schemas\//, `unexpected external schema ${ref}`);
      ajv.addSchema({ $id: ref }, ref);
    }
    const validate = ajv.compile(schema);
    const document: unknown = parse(await readFile(join(projectRoot, "azure.yaml"), "utf8"));
    assert.ok(validate(document), describeErrors(validate.errors).join("\n"));
  });

  it("host.json validates against the Azure Functions host.json schema (draft-07)", async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(await json(join(schemaDir, "host.schema.json")));
    assert.ok(validate(await json(join(projectRoot, "host.json"))), describeErrors(validate.errors).join("\n"));
  });

  it("local.settings.example.json validates against the local.settings.json schema (draft-04)", async () => {
    const schema = await json(join(schemaDir, "local.settings.schema.json"));
    // Ajv 8 has no draft-04 mode. This schema uses none of the keywords whose
    // meaning changed after draft-04 (boolean exclusiveMinimum/Maximum), so it
    // is checked as draft-07 once its draft-04 `id` is renamed `$id`.
    const text = JSON.stringify(schema);
    assert.ok(!/"exclusive(Minimum|Maximum)":\s*(true|false)/.test(text), "the schema uses draft-04-only keywords");
    const { $schema: _draft, id, ...rest } = schema as AnySchemaObject & { id?: string };
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile({ ...rest, $id: id });
    assert.ok(validate(await json(join(projectRoot, "local.settings.example.json"))), describeErrors(validate.errors).join("\n"));
  });

  it("each validator rejects a broken document, so the checks above can fail", async () => {
    const azd = new Ajv2019({ strict: false });
    const schema = await json(join(schemaDir, "azure.yaml.schema.json"));
    for (const ref of externalRefs(schema)) {
      azd.addSchema({ $id: ref }, ref);
    }
    assert.equal(azd.compile(schema)({ name: "x", services: { mcp: { language: "ts" } } }), false, "a service without host");
    const host = new Ajv({ strict: false }).compile(await json(join(schemaDir, "host.schema.json")));
    assert.equal(host({ version: 2 }), false, "version must be the string 2.0");
  });
});
