import { z } from "zod";
import { defineTool, ToolError } from "../lib/mcp/index.js";

const ABSOLUTE_ZERO_CELSIUS = -273.15;
const units = z.enum(["celsius", "fahrenheit", "kelvin"]);

/** Converts a temperature: shows structured output and a ToolError for a value that validates but makes no sense. */
export default defineTool({
  name: "convert_temperature",
  title: "Convert temperature",
  description: "Converts a temperature between Celsius, Fahrenheit and Kelvin and returns all three.",
  input: {
    value: z.number().finite().describe("The temperature to convert"),
    unit: units.describe("Unit of the value: celsius, fahrenheit or kelvin"),
  },
  output: {
    celsius: z.number(),
    fahrenheit: z.number(),
    kelvin: z.number(),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ value, unit }) {
    const celsius = unit === "celsius" ? value : unit === "fahrenheit" ? ((value - 32) * 5) / 9 : value + ABSOLUTE_ZERO_CELSIUS;
    if (celsius < ABSOLUTE_ZERO_CELSIUS) {
      throw new ToolError(`${value} ${unit} is below absolute zero (${ABSOLUTE_ZERO_CELSIUS} °C); nothing is that cold.`);
    }
    const round = (n: number): number => Math.round(n * 100) / 100;
    return { celsius: round(celsius), fahrenheit: round((celsius * 9) / 5 + 32), kelvin: round(celsius - ABSOLUTE_ZERO_CELSIUS) };
  },
});
