/**
 * BGP communities (RFC 1997): a 32-bit value written `A:B`, two 16-bit halves (by convention
 * the AS and a value of its choosing).
 */

/** An `A:B` that is not two integers 0..65535. */
export class CommunityError extends Error {
  override readonly name = 'CommunityError';
  readonly code = 'E_COMMUNITY';
}

/** Parses `A:B` (each 0..65535, decimal) into the 32-bit community value. */
export function parseCommunity(text: string): number {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  const hi = m ? Number(m[1]) : NaN;
  const lo = m ? Number(m[2]) : NaN;
  if (!(hi <= 65535 && lo <= 65535)) throw new CommunityError(`bad community '${text}' (expected A:B, each 0..65535)`);
  return ((hi << 16) | lo) >>> 0;
}

/** Formats a 32-bit community value as `A:B`. */
export function formatCommunity(v: number): string {
  return `${v >>> 16}:${v & 0xffff}`;
}
