/**
 * The whole test suite as a log-hygiene test: a mocha root hook collects
 * every credential that crosses `fetch` during the run (SecretHarvest: the
 * tokens, codes, verifiers, secrets, assertions, sealed values and cookies of
 * every test, hostile ones included) and, after the last test, searches every
 * line every in-process kit logged (LogCapture) for each of them. The
 * dedicated test (test/e2e/log-hygiene.test.ts) adds what never crosses
 * `fetch`; this one covers every flow the other tests drive.
 */
import { ALL_CAPTURES } from "./log-capture.js";
import { fragmentsOf, SecretHarvest, type Leak } from "./secret-harvest.js";

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
  beforeAll(): void {
    uninstall = harvest.install();
  },
  async afterAll(): Promise<void> {
    uninstall?.();
    await harvest.settle();
    const lines = ALL_CAPTURES.flatMap((capture) => capture.lines.map((line) => line.text));
    const leaks = leaksIn(lines);
    if (leaks.length > 0) {
      const shown = leaks.slice(0, 5).map((leak) => `- ${leak.kind} (${leak.fragment}…) in: ${leak.line.slice(Math.max(0, leak.line.indexOf(leak.fragment) - 150), leak.line.indexOf(leak.fragment) + 150)}`);
      throw new Error(`${leaks.length} log line(s) of the test run carry a credential the run used:\n${shown.join("\n")}`);
    }
  },
};
