/** A source of uniform numbers in [0, 1), injected into pick strategies. */
export type Rand = () => number;

/**
 * A small seeded PRNG (a 32-bit counter run through an integer mixing function), so tests and
 * simulations are deterministic. Not for cryptography.
 */
export function seededRandom(seed: number): Rand {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}
