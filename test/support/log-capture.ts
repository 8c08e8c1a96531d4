/** Collects log lines in memory so tests can assert on them (and on what they must not contain). */
import type { LogSink } from "../../lib/log.js";

export interface CapturedLine {
  readonly level: string;
  readonly text: string;
}

/** Every capture made in this test process, for the suite-wide log check (suite-log-hygiene.ts). */
export const ALL_CAPTURES: LogCapture[] = [];

export class LogCapture {
  readonly lines: CapturedLine[] = [];

  constructor() {
    ALL_CAPTURES.push(this);
  }

  /** A sink for `createLogger`. */
  readonly sink: LogSink = (level, event, fields) => this.add(level, JSON.stringify({ event, ...fields }));

  add(level: string, text: string): void {
    this.lines.push({ level, text });
  }

  /** Lines whose text contains `fragment`. */
  matching(fragment: string): CapturedLine[] {
    return this.lines.filter((line) => line.text.includes(fragment));
  }

  text(): string {
    return this.lines.map((line) => `${line.level} ${line.text}`).join("\n");
  }
}
