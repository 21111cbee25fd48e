import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Exit codes shared by every command (documented in README.md). */
export const EXIT = {
  OK: 0,
  /** Invalid input: a file failed validation, a check failed. */
  INVALID: 1,
  /** Wrong usage: unknown command or option, missing argument. */
  USAGE: 2,
  /** Runtime failure: could not bind a socket, read a file, reach a server. */
  RUNTIME: 3,
} as const;

/** Thrown for bad command-line usage; main prints the message and the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'E_USAGE';
}

/** One `anypick <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for `anypick --help`. */
  summary: string;
  /** Full text for `anypick <name> --help`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/**
 * The value of a `type: 'string'` option (undefined when absent). parseArgs gives strings for
 * them; anything else is a usage error rather than an '[object Object]' in a message.
 */
export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new UsageError(`--${name}: expected a value`);
}

/** `--NAME N`: an integer in min..max (max Infinity: no upper bound); undefined when absent. */
export function intOption(values: Record<string, unknown>, name: string, min: number, max = Infinity): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} ${v}: expected an integer ${max === Infinity ? `≥ ${min}` : `${min}..${max}`}`);
  return n;
}

/** Parses `argv` against a command's options; unknown options are usage errors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, unknown>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
