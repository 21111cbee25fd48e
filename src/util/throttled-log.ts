/**
 * Warnings about hostile or excessive traffic, at most one line per cause per interval: the
 * first occurrence is logged at once, later ones are counted and reported with the next line.
 * A flood can then never flood the log. Time is injected.
 */
import { coarseNow } from './coarse-clock';
import type { Logger } from './log';

/** Default interval between two lines of one cause. */
export const DEFAULT_WARN_INTERVAL_MS = 60_000;

/** One throttled warning per cause. */
export class ThrottledWarnings {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly intervalMs = DEFAULT_WARN_INTERVAL_MS, private readonly now: () => number = coarseNow) {}

  /**
   * Logs `msg` for `cause` unless one was logged within the interval (then counts it). `fields`
   * may be a function, called only when a line is written (nothing is built for a suppressed one).
   */
  warn(cause: string, msg: string, fields: Record<string, unknown> | (() => Record<string, unknown>) = {}): void {
    const t = this.now();
    const e = this.last.get(cause);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    this.logger.warn({ cause, ...(typeof fields === 'function' ? fields() : fields), suppressed: e?.suppressed ?? 0, intervalS: this.intervalMs / 1000 }, msg);
    this.last.set(cause, { at: t, suppressed: 0 });
  }
}
