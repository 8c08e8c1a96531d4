/**
 * The fifty tools of the tools/list benchmark, described once so that the
 * bare SDK (servers/baseline.ts) and the kit (servers/kit.ts) list exactly
 * the same tools: a name, a title, a description, annotations and an input
 * schema of a few typed fields, as a real tool list has.
 */
import { z } from "zod";

/** How many tools the list part serves per server. */
const LIST_TOOL_COUNT = 50;

export interface ListedToolSpec {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly readOnly: boolean;
  /** The input fields; a fresh shape per call, so each server builds its own schemas. */
  shape(): Record<string, z.ZodType>;
}

/** Tool `index` of the list: every fourth changes something, every third takes a list of tags. */
function specOf(index: number): ListedToolSpec {
  const number = String(index).padStart(2, "0");
  const readOnly = index % 4 !== 0;
  return {
    name: `tool_${number}`,
    title: `Tool ${number}`,
    description: `${readOnly ? "Reads" : "Updates"} record ${number} of the signed-in user's workspace. Returns the record as JSON.`,
    readOnly,
    shape: () => ({
      id: z.string().min(1).max(64).describe("The record's identifier"),
      limit: z.number().int().min(1).max(100).default(10).describe("How many entries to return (1-100)"),
      ...(index % 3 === 0 ? { tags: z.array(z.string().max(32)).max(10).optional().describe("Only entries with all of these tags") } : {}),
      ...(readOnly ? {} : { value: z.string().max(1000).describe("The new value") }),
    }),
  };
}

/** The fifty tools. */
export const LIST_TOOLS: readonly ListedToolSpec[] = Array.from({ length: LIST_TOOL_COUNT }, (_, index) => specOf(index));

/** The gateway's prefix for the downstream serving the same fifty tools (`far_tool_00`, …): remoteServer's default, `<name>_`. */
export const FAR_SERVER_NAME = "far";
export const FAR_PREFIX = `${FAR_SERVER_NAME}_`;

/** What every listed tool's call answers (the list part never calls them). */
export function listedToolAnswer(name: string): string {
  return `${name} is a tools/list benchmark tool`;
}
