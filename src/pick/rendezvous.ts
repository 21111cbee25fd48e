/**
 * Weighted rendezvous (highest random weight) hashing: every (key, member) pair gets a
 * pseudo-random score; the key goes to the member with the best score. With
 * score = -ln(u) / weight (u uniform in (0,1) from the hash), the winner is member i with
 * probability weight_i / Σ weight, a key keeps its member while the weights hold, and when a
 * member leaves only the keys it held move (each to its own runner-up).
 */

/** FNV-1a over UTF-16 code units with a seed, finished with a 32-bit avalanche mix. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in (0, 1) determined by `key` and `member` (53 bits from two hashes). */
export function unitHash(key: string, member: string): number {
  const text = `${key}\u0000${member}`;
  const hi = hash32(text, 0x2545f491) >>> 11; // 21 bits
  const lo = hash32(text, 0x9e3779b9); // 32 bits
  return (hi * 4294967296 + lo + 0.5) / 9007199254740992;
}

/**
 * The rendezvous score of `member` for `key`: lower is better. Infinity for a weight of 0 or
 * less (never chosen).
 */
export function rendezvousScore(key: string, member: string, weight: number): number {
  if (!(weight > 0)) return Infinity;
  return -Math.log(unitHash(key, member)) / weight;
}
