/**
 * How property and fuzz tests run: a fixed seed by default, so the suite is
 * deterministic and a failure reproduces; `FUZZ_SEED=<n>` replays a reported
 * seed, `FUZZ_SEED=random` explores new inputs, and `FUZZ_RUNS=<factor>`
 * multiplies every run count (a longer local session: `FUZZ_SEED=random
 * FUZZ_RUNS=20 npm test`). fast-check prints the seed and the path of the
 * failing case in the assertion message either way.
 */
import fc from "fast-check";

/** The seed every property uses unless FUZZ_SEED says otherwise. */
export const DEFAULT_FUZZ_SEED = 20_261_126;

function seed(): number {
  const raw = process.env["FUZZ_SEED"];
  if (raw === undefined || raw === "") return DEFAULT_FUZZ_SEED;
  if (raw === "random") return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${JSON.stringify(raw)}`);
  return value;
}

function scale(): number {
  const raw = process.env["FUZZ_RUNS"];
  const value = raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`FUZZ_RUNS must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Parameters for `fc.assert`: `numRuns` cases (times FUZZ_RUNS) from the
 * suite's seed. `shrink: false` stops at the first failure without shrinking,
 * for properties whose every case costs HTTP round trips.
 *
 * @example
 * await fc.assert(fc.asyncProperty(arbitrary, check), fuzzParameters(200));
 */
export function fuzzParameters<T>(numRuns: number, options: { readonly shrink?: boolean } = {}): fc.Parameters<T> {
  return {
    numRuns: Math.max(1, Math.round(numRuns * scale())),
    seed: seed(),
    ...(options.shrink === false ? { endOnFailure: true } : {}),
  };
}

/** Text of any code points, lone surrogates included (`binary`), up to `maxLength` code units. */
export function anyText(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: "binary", maxLength });
}

/** Strings built from pieces that tend to matter to parsers: delimiters, encodings, look-alikes, controls. */
export function trickyText(maxPieces = 12): fc.Arbitrary<string> {
  const pieces = fc.constantFrom(
    "%", "%00", "%0a", "%0d", "%20", "%25", "%2e", "%2f", "%3a", "%3d", "%26", "%ff", "%c3%28", "%e2%80%ae", "%ef%bb%bf",
    "&", "=", "+", "#", "?", "/", "\\", ":", "@", ".", "..", " ", "\t", "\n", "\r", "\u0000", "\u00a0", "\u200e", "\u202e", "\ufeff",
    "\ud800", "\udfff", "é", "ℌ", "ｊ", "javascript:", "data:", "http://", "https://", "[::1]", "127.0.0.1", "localhost",
    "client_id", "code", "state", "redirect_uri", "eyJ", "a".repeat(300),
  );
  return fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: maxPieces }).map((parts) => parts.join(""));
}
