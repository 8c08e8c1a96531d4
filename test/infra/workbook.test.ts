/**
 * The operations workbook (infra/workbook/operations.workbook.json) and its
 * deployment by infra/modules/monitoring.bicep: valid JSON, deployed over the
 * Application Insights component, and every query reads only what the kit
 * emits (lib/telemetry/names.ts), checked with the real KQL parser.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { EMITTED } from "../../lib/telemetry/names.js";
import { compiledInfra, mainDeployment } from "./support/compiled.js";
import { queryProblems } from "./support/kql.js";

const WORKBOOK = new URL("../../../infra/workbook/operations.workbook.json", import.meta.url);

interface WorkbookItem {
  readonly type: number;
  readonly name: string;
  readonly content: { readonly version?: string; readonly title?: string; readonly query?: string; readonly resourceType?: string };
}

async function workbook(): Promise<{ text: string; items: WorkbookItem[] }> {
  const text = await readFile(WORKBOOK, "utf8");
  const parsed = JSON.parse(text) as { version: string; items: WorkbookItem[] };
  assert.equal(parsed.version, "Notebook/1.0");
  return { text, items: parsed.items };
}

const queries = (items: readonly WorkbookItem[]): Array<{ title: string; query: string }> =>
  items.filter((item) => item.type === 3).map((item) => ({ title: item.content.title ?? item.name, query: item.content.query ?? "" }));

describe("infra: the operations workbook", function () {
  this.timeout(300_000);

  it("is valid JSON: a workbook whose query items run against the Application Insights component", async () => {
    const { items } = await workbook();
    const kql = items.filter((item) => item.type === 3);
    assert.ok(kql.length >= 8, `${kql.length} queries`);
    for (const item of kql) {
      assert.equal(item.content.version, "KqlItem/1.0", item.name);
      assert.equal(item.content.resourceType, "microsoft.insights/components", item.name);
      assert.ok((item.content.query ?? "").trim() !== "", `${item.name} has a query`);
    }
    assert.equal(new Set(items.map((item) => item.name)).size, items.length, "item names are unique");
  });

  it("shows what an operator asked for: calls per tool, p50/p95 latency, error rate, the On-Behalf-Of cache hit ratio, sign-ins", async () => {
    const all = queries((await workbook()).items);
    const text = all.map((entry) => `${entry.title}\n${entry.query}`).join("\n");
    assert.match(text, /gen_ai\.tool\.name/);
    assert.match(text, /percentile\(duration, 50\)[\s\S]*percentile\(duration, 95\)/);
    assert.match(text, /error_rate/);
    assert.match(text, /kit\.obo\.requests[\s\S]*hit_ratio/);
    assert.match(text, /kit\.sign_ins/);
  });

  it("every query reads only tables, columns, names and dimensions the kit emits", async () => {
    const problems = queries((await workbook()).items).flatMap(({ title, query }) => queryProblems(query, EMITTED).map((problem) => `${title}: ${problem}`));
    assert.deepEqual(problems, []);
  });

  it("the check refuses what the kit does not emit, and invalid KQL", () => {
    const refused = [
      "traces | count",
      "requests | project user_Id",
      'requests | where customDimensions["enduser.id"] == "alice"',
      'requests | where tostring(customDimensions["error.type"]) == "tool_error"',
      'customMetrics | where name == "kit.obo.cache_hits"',
      'dependencies | where name == "tools/call graph_me"',
      "requests | summarise count()",
      "requests | summarize percentile(durations, 95)",
    ];
    for (const query of refused) assert.notDeepEqual(queryProblems(query, EMITTED), [], query);
    assert.deepEqual(queryProblems('requests | where name startswith "tools/call" | summarize count() by tostring(customDimensions["gen_ai.tool.name"])', EMITTED), []);
  });

  it("is deployed by the Bicep over the Application Insights component, with the file's content", async () => {
    const monitoring = mainDeployment(await compiledInfra()).module("monitoring");
    const deployed = monitoring.resource("Microsoft.Insights/workbooks");
    const properties = deployed.properties as { category: string; sourceId: string; serializedData: string };
    assert.equal(properties.category, "workbook");
    const component = monitoring.resource("Microsoft.Insights/components");
    assert.match(String(properties.sourceId), new RegExp(`Microsoft\\.Insights/components/${String(component.name)}`, "i"));
    assert.equal(properties.serializedData, (await workbook()).text);
  });
});
