import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Creates the process logger: pino JSON lines on stderr, so stdout stays for command output. */
export function createLogger(level: LogLevel = 'info', name = 'anypick'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
