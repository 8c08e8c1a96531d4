/**
 * Checks a KQL query of the workbook against what the kit emits
 * (lib/telemetry/names.ts, EMITTED):
 *
 * - the query is valid KQL over a schema holding only the tables and columns
 *   the kit fills, parsed and bound by Kusto.Language, the parser of Azure
 *   Data Explorer and Azure Monitor (@kusto/language-service-next): an
 *   unknown table, column or function is an error;
 * - every `customDimensions` key it reads is an attribute or label the kit
 *   writes into that table;
 * - every string it compares the `name` column with is a span or metric
 *   name the kit emits there.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AppInsightsTable, EmittedTable } from "../../../lib/telemetry/names.js";

/** The part of Kusto.Language's API used here (a Bridge.NET build: the types are its own). */
interface KustoLanguage {
  readonly Symbols: {
    readonly ScalarTypes: Readonly<Record<"String" | "Real" | "Bool" | "Long" | "DateTime" | "Dynamic", unknown>>;
    readonly ColumnSymbol: new (name: string, type: unknown, description: null, originalColumns: null, source: null, examples: null) => unknown;
    readonly TableSymbol: { readonly $ctor4: new (name: string, columns: unknown[]) => unknown };
    readonly DatabaseSymbol: { readonly ctor: new (name: string, members: unknown[]) => unknown };
    readonly ClusterSymbol: { readonly ctor: new (name: string, databases: unknown[]) => unknown };
  };
  readonly GlobalState: { readonly Default: { WithCluster(cluster: unknown): { WithDatabase(database: unknown): unknown } } };
  readonly KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): { readonly Count: number; getItem(index: number): { readonly Severity: string; readonly Code: string; readonly Message: string } } };
  };
}

let kusto: KustoLanguage | undefined;

/** Loads Kusto.Language once (about two seconds): the Bridge.NET runtime, then the library, both as globals. */
function language(): KustoLanguage {
  if (kusto !== undefined) return kusto;
  const require = createRequire(import.meta.url);
  const folder = dirname(require.resolve("@kusto/language-service-next/package.json"));
  require(join(folder, "bridge.min.js"));
  require(join(folder, "Kusto.Language.Bridge.min.js"));
  kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  return kusto;
}

const COLUMN_TYPES: Readonly<Record<string, "Real" | "Bool" | "Long" | "DateTime" | "Dynamic">> = {
  timestamp: "DateTime",
  duration: "Real",
  success: "Bool",
  itemCount: "Long",
  customDimensions: "Dynamic",
  value: "Real",
  valueSum: "Real",
  valueCount: "Long",
  valueMin: "Real",
  valueMax: "Real",
};

const schemas = new WeakMap<object, unknown>();

function globalsFor(emitted: Readonly<Record<AppInsightsTable, EmittedTable>>): unknown {
  const cached = schemas.get(emitted);
  if (cached !== undefined) return cached;
  const { Symbols, GlobalState } = language();
  const tables = Object.entries(emitted).map(
    ([table, spec]) =>
      new Symbols.TableSymbol.$ctor4(
        table,
        spec.columns.map((column) => new Symbols.ColumnSymbol(column, Symbols.ScalarTypes[COLUMN_TYPES[column] ?? "String"], null, null, null, null)),
      ),
  );
  const database = new Symbols.DatabaseSymbol.ctor("applicationinsights", tables);
  const globals = GlobalState.Default.WithCluster(new Symbols.ClusterSymbol.ctor("applicationinsights", [database])).WithDatabase(database);
  schemas.set(emitted, globals);
  return globals;
}

/** Whether `value` is one of `names`, where a trailing `*` in a name stands for any rest; `prefix`: whether some name starts with `value`. */
function matches(value: string, names: readonly string[], prefix: boolean): boolean {
  return names.some((name) => {
    const fixed = name.endsWith("*") ? name.slice(0, -1) : undefined;
    if (prefix) return name.startsWith(value) || (fixed !== undefined && value.startsWith(fixed));
    return fixed === undefined ? name === value : value.startsWith(fixed);
  });
}

/** What is wrong with `query`; empty when nothing is. */
export function queryProblems(query: string, emitted: Readonly<Record<AppInsightsTable, EmittedTable>>): string[] {
  const problems: string[] = [];
  const table = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(query)?.[1];
  if (table === undefined || !(table in emitted)) return [`reads ${table ?? "no table"}, which the kit does not write (it writes ${Object.keys(emitted).join(", ")})`];
  const spec = emitted[table as AppInsightsTable];

  const diagnostics = language().KustoCode.ParseAndAnalyze(query, globalsFor(emitted)).GetDiagnostics();
  for (let index = 0; index < diagnostics.Count; index++) {
    const diagnostic = diagnostics.getItem(index);
    if (diagnostic.Severity === "Error") problems.push(`${diagnostic.Code} ${diagnostic.Message}`);
  }

  for (const match of query.matchAll(/\bcustomDimensions\b(?:\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\]|\.([A-Za-z_][A-Za-z0-9_]*))?/g)) {
    const key = match[1] ?? match[2] ?? match[3];
    if (key === undefined) problems.push(`reads customDimensions other than by a literal key: ${query.slice(match.index, match.index + 40)}`);
    else if (!spec.dimensions.includes(key)) problems.push(`reads customDimensions["${key}"], which the kit does not write into ${table}`);
  }

  for (const match of query.matchAll(/\bname\s*(==|=~|!=|!~|startswith|!startswith|in~?|!in~?)\s*(\([^)]*\)|"[^"]*"|'[^']*')/g)) {
    const literals = [...match[2]!.matchAll(/"([^"]*)"|'([^']*)'/g)].map((literal) => literal[1] ?? literal[2]!);
    for (const literal of literals) {
      if (!matches(literal, spec.names, match[1]!.includes("startswith"))) problems.push(`compares name with "${literal}", which is not a name the kit emits into ${table}`);
    }
  }
  return problems;
}
