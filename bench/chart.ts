/**
 * The run at a glance, as an SVG written by hand: for every protocol and
 * concurrency, how much longer a call takes through the kit than through the
 * bare SDK wired the fastest way (schemas built once: the budget's baseline)
 * at p50 (left) and how much more server CPU it costs (right), with that SDK
 * at 1 and the budget marked; the SDK as its examples wire it for context;
 * the import ratio underneath.
 */
import type { BenchReport } from "./report.js";
import { IMPORT_BUDGET, TOOL_CALL_BUDGET, type CaseRatios } from "./ratios.js";

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly budget: number;
}

interface Group {
  readonly title: string;
  readonly left: readonly Bar[];
  readonly right: readonly Bar[];
}

const COLORS = { baseline: "#b5b5b5", "kit-none": "#7fb3e0", "kit-full": "#1f5f9e", "kit-telemetry": "#8e44ad", import: "#6a9c5a" } as const;
const LABELS = { baseline: "bare SDK, examples' wiring", "kit-none": "kit, no auth", "kit-full": "kit, token + cached OBO", "kit-telemetry": "the same, telemetry on" } as const;
type Charted = keyof typeof LABELS;
const FONT = "font-family=\"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";

/** Renders the chart of a run. */
export function renderChart(report: BenchReport): string {
  const groups: Group[] = [];
  for (const concurrency of report.plan.concurrencies) {
    for (const protocol of report.plan.protocols) {
      const ratios = report.ratiosToHoisted.filter(
        (ratio): ratio is CaseRatios & { case: Charted } => ratio.case in LABELS && ratio.protocol === protocol && ratio.concurrency === concurrency,
      );
      const bar = (pick: "p50" | "cpu") =>
        ratios.map((ratio) => ({
          label: LABELS[ratio.case],
          value: ratio[pick],
          color: COLORS[ratio.case],
          // Only the authenticated kit is judged; the rest is context.
          budget: ratio.case === "kit-full" ? TOOL_CALL_BUDGET : Number.NaN,
        }));
      groups.push({ title: `tools/call, ${protocol}, ${concurrency === 1 ? "one caller" : `${concurrency} concurrent callers`} (p50 latency)`, left: bar("p50"), right: bar("cpu") });
    }
  }
  if (report.coldStart !== undefined) {
    const { sdk, appLocal, appAzure } = report.coldStart.import;
    groups.push({
      title: "import of the function app (all endpoints) vs @modelcontextprotocol/server (median of fresh processes)",
      left: [
        { label: "local settings", value: appLocal.medianMs / sdk.medianMs, color: COLORS.import, budget: IMPORT_BUDGET },
        { label: "Azure settings", value: appAzure.medianMs / sdk.medianMs, color: COLORS.import, budget: IMPORT_BUDGET },
      ],
      right: [
        { label: "local settings", value: appLocal.medianCpuMs / sdk.medianCpuMs, color: COLORS.import, budget: IMPORT_BUDGET },
        { label: "Azure settings", value: appAzure.medianCpuMs / sdk.medianCpuMs, color: COLORS.import, budget: IMPORT_BUDGET },
      ],
    });
  }

  const width = 980;
  const margin = { left: 190, right: 30, top: 92, bottom: 56 };
  const gap = 40;
  const panelWidth = (width - margin.left - margin.right - gap) / 2;
  const barHeight = 18;
  const barGap = 6;
  const groupTitle = 22;
  const groupGap = 16;
  const height = margin.top + groups.reduce((sum, group) => sum + groupTitle + Math.max(group.left.length, 1) * (barHeight + barGap) + groupGap, 0) + margin.bottom;
  const allValues = groups.flatMap((group) => [...group.left, ...group.right].map((bar) => bar.value)).filter(Number.isFinite);
  const maxValue = Math.max(2, Math.ceil(Math.max(...allValues, IMPORT_BUDGET) * 2 + 0.2) / 2);
  const x = (panel: 0 | 1, value: number): number => margin.left + panel * (panelWidth + gap) + (Math.min(value, maxValue) / maxValue) * panelWidth;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Kit against the bare MCP SDK">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="30" ${FONT} font-size="19" font-weight="600" fill="#1b1b1b">MCP Functions Kit against the bare MCP SDK, schemas built once (1 = SDK, lower is better)</text>`);
  out.push(
    `<text x="20" y="52" ${FONT} font-size="12.5" fill="#555">${escape(`${report.date}${report.quick ? " (quick run: harness check only)" : ""} · ${report.machine.cpuModel}, ${report.machine.cores} cores · Node ${report.machine.node} · dashed: budget`)}</text>`,
  );
  for (const [panel, title] of [
    [0, "p50 latency ×"],
    [1, "server CPU per call ×"],
  ] as const) {
    const left = margin.left + panel * (panelWidth + gap);
    out.push(`<text x="${left + panelWidth / 2}" y="${margin.top - 16}" ${FONT} font-size="13" font-weight="600" text-anchor="middle" fill="#333">${title}</text>`);
    for (let tick = 0; tick <= maxValue + 1e-9; tick += 0.5) {
      const tx = x(panel, tick);
      out.push(`<line x1="${tx}" y1="${margin.top - 6}" x2="${tx}" y2="${height - margin.bottom + 4}" stroke="${tick === 1 ? "#222" : "#e3e3e3"}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`);
      out.push(`<text x="${tx}" y="${height - margin.bottom + 18}" ${FONT} font-size="11" text-anchor="middle" fill="#666">${tick === 1 ? "1 (SDK)" : tick.toFixed(1)}</text>`);
    }
  }

  let y = margin.top;
  for (const group of groups) {
    out.push(`<text x="20" y="${y + 14}" ${FONT} font-size="12.5" font-weight="600" fill="#222">${escape(group.title)}</text>`);
    y += groupTitle;
    const rows = Math.max(group.left.length, group.right.length);
    for (let row = 0; row < rows; row++) {
      for (const [panel, bars] of [
        [0, group.left],
        [1, group.right],
      ] as const) {
        const bar = bars[row];
        if (bar === undefined) continue;
        if (panel === 0) out.push(`<text x="${margin.left - 8}" y="${y + barHeight - 5}" ${FONT} font-size="12" text-anchor="end" fill="#333">${escape(bar.label)}</text>`);
        const x0 = x(panel, 0);
        const over = Number.isFinite(bar.budget) && bar.value > bar.budget;
        out.push(`<rect x="${x0}" y="${y}" width="${Math.max(1, x(panel, bar.value) - x0)}" height="${barHeight}" fill="${bar.color}" rx="2"/>`);
        if (Number.isFinite(bar.budget)) {
          const bx = x(panel, bar.budget);
          out.push(`<line x1="${bx}" y1="${y - 2}" x2="${bx}" y2="${y + barHeight + 2}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="3,2"/>`);
        }
        out.push(
          `<text x="${Math.min(x(panel, bar.value) + 5, x(panel, maxValue) - 2)}" y="${y + barHeight - 5}" ${FONT} font-size="12" font-weight="600" fill="${over ? "#c0392b" : "#1b1b1b"}" text-anchor="${x(panel, bar.value) + 45 > x(panel, maxValue) ? "end" : "start"}">${Number.isFinite(bar.value) ? `${bar.value.toFixed(2)}×` : "n/a"}</text>`,
        );
      }
      y += barHeight + barGap;
    }
    y += groupGap;
  }
  out.push(
    `<text x="20" y="${height - 14}" ${FONT} font-size="11.5" fill="#555">Budget: an authenticated tools/call at most ${TOOL_CALL_BUDGET}× the SDK with schemas built once; importing the app at most ${IMPORT_BUDGET}× importing the SDK. Table and method: the run's .md file, bench/README.md.</text>`,
  );
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
