/** Summary statistics for the benchmark's samples. */

/**
 * The `p`-th percentile (0-100) of `values` by the nearest-rank method on a
 * sorted copy; NaN for no values.
 *
 * @example
 * percentile([5, 1, 3], 50); // 3
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The median (50th percentile by nearest rank). */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** Joins sample arrays into one. */
export function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Rounds for JSON and tables: `digits` decimals. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
