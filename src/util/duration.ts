/**
 * Durations — the one grammar for every duration the project reads (delivery files, command
 * line options, DNSSEC settings): a decimal number and a unit, `500ms`, `1.5s`, `2m`, `1h`, `14d`.
 * Units are `ms`, `s`, `m`, `h`, `d` (day), `w` (week); the number may have a fraction (`0.5s`); the result is whole milliseconds
 * (rounded) and must be at least 1 ms. DNS master-file TTLs (`1h30m`, `1w`, plain seconds) are a
 * different, RFC 1035/BIND grammar and live with the zone parser (src/zone/values.ts).
 */

/** Text that is not a duration; the message says what is expected. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  readonly code = 'E_DURATION';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The grammar in one line, for error messages and usage text. */
export const DURATION_EXAMPLES = '500ms, 1.5s, 2m, 1h, 14d';

/** `500ms`, `1.5s`, `2m`, `1h` → milliseconds; throws DurationError otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text);
  if (!m) throw new DurationError(`bad duration '${text}' (expected a number and a unit: ${DURATION_EXAMPLES})`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  if (ms < 1) throw new DurationError(`duration '${text}' must be greater than zero`);
  if (!Number.isSafeInteger(ms)) throw new DurationError(`duration '${text}' is too long`);
  return ms;
}

/** Milliseconds as the shortest duration text that parses back to them (`1500` → `1.5s`). */
export function formatDuration(ms: number): string {
  for (const [unit, n] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= n && Number.isInteger((ms / n) * 1000)) return `${ms / n}${unit}`;
  }
  return `${ms}ms`;
}
