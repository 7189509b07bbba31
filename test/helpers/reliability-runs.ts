/**
 * Short seeded runs in `npm test`; long randomized ones under `npm run test:soak` (RELIABILITY_SOAK=1).
 * A soak run prints its seed, so any failure it finds can be replayed with RELIABILITY_SEED=<seed>.
 */
const soak = process.env.RELIABILITY_SOAK === '1';
const fixedSeed = process.env.RELIABILITY_SEED === undefined ? undefined : Number(process.env.RELIABILITY_SEED);

export const SOAK = soak;

/** The seed for a suite: fixed in the default suite, random (and printed) in a soak run. */
export function suiteSeed(name: string, defaultSeed: number): number {
  if (fixedSeed !== undefined && Number.isInteger(fixedSeed)) return fixedSeed;
  if (!soak) return defaultSeed;
  const seed = Math.floor(Math.random() * 2 ** 31);
  process.stderr.write(`[soak] ${name}: seed ${seed} (replay with RELIABILITY_SEED=${seed})\n`);
  return seed;
}

/** How many runs: `short` in the default suite, `long` in a soak run. */
export function runs(short: number, long: number): number {
  return soak ? long : short;
}

/** fast-check parameters for a property in this mode. */
export function fcParams(name: string, short: number, long: number, defaultSeed = 20260101) {
  return { numRuns: runs(short, long), seed: suiteSeed(name, defaultSeed) };
}
