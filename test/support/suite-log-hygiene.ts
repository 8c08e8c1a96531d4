/**
 * The whole test suite as a log-hygiene test: a mocha root hook collects
 * every credential that crosses `fetch` during the run (SecretHarvest: the
 * tokens, codes, verifiers, secrets, assertions, sealed values and cookies of
 * every test, hostile ones included) and, after the last test, searches every
 * line every in-process kit logged (LogCapture) for each of them, and every
 * span attribute, span event and metric label their telemetry recorded
 * (telemetry is on for the whole run, in memory: support/telemetry.ts). The
 * dedicated test (test/e2e/log-hygiene.test.ts) adds what never crosses
 * `fetch`; this one covers every flow the other tests drive.
 */
import { ALL_CAPTURES } from "./log-capture.js";
import { fragmentsOf, SecretHarvest, type Leak } from "./secret-harvest.js";
import { telemetryActive } from "../../lib/telemetry/index.js";
import { suiteTelemetry } from "./telemetry.js";

const harvest = new SecretHarvest();
let uninstall: (() => void) | undefined;

/** Leaks of harvested secrets in `lines`, by exact 16-character pieces (fast enough for the whole suite). */
function leaksIn(lines: readonly string[]): Leak[] {
  const pieces = new Map<string, { kind: Leak["kind"] }>();
  // The 16-character pieces only: a JWT as a whole starts with its header, which is public and the same for every token.
  // Pieces of fewer than 8 distinct characters are generated filler (the fuzz tests' "rrrr…"), not credentials.
  for (const [secret, kind] of harvest.secrets) {
    for (const fragment of fragmentsOf(secret)) if (fragment.length === 16 && new Set(fragment).size >= 8) pieces.set(fragment, { kind });
  }
  const leaks: Leak[] = [];
  for (const line of lines) {
    for (let start = 0; start + 16 <= line.length; start++) {
      const found = pieces.get(line.slice(start, start + 16));
      if (found !== undefined) {
        leaks.push({ kind: found.kind, fragment: line.slice(start, start + 16), line });
        break;
      }
    }
  }
  return leaks;
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    uninstall = harvest.install();
    await suiteTelemetry.start();
  },
  async afterAll(): Promise<void> {
    uninstall?.();
    await harvest.settle();
    const lines = ALL_CAPTURES.flatMap((capture) => capture.lines.map((line) => line.text));
    const telemetry = await suiteTelemetry.strings();
    if (!telemetryActive()) throw new Error("The suite-wide in-memory telemetry did not start, so no span or metric of the run was searched");
    const leaks = leaksIn([...lines, ...telemetry.map((text) => `telemetry: ${text}`)]);
    if (leaks.length > 0) {
      const shown = leaks.slice(0, 5).map((leak) => `- ${leak.kind} (${leak.fragment}…) in: ${leak.line.slice(Math.max(0, leak.line.indexOf(leak.fragment) - 150), leak.line.indexOf(leak.fragment) + 150)}`);
      throw new Error(`${leaks.length} log line(s) or telemetry value(s) of the test run carry a credential the run used:\n${shown.join("\n")}`);
    }
  },
};
