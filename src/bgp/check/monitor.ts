import type { CheckConfig } from '../config';
import { probe as defaultProbe } from './probes';

/** Health as seen by the monitor: unknown until `rise` passes or `fall` failures. */
export type Health = 'unknown' | 'up' | 'down';

/** Pure rise/fall counting: feeds one probe result, returns the new health. */
export class RiseFall {
  health: Health = 'unknown';
  passes = 0;
  failures = 0;

  constructor(readonly rise: number, readonly fall: number) {
    if (!Number.isInteger(rise) || rise < 1 || !Number.isInteger(fall) || fall < 1) throw new TypeError(`rise and fall must be integers ≥ 1 (got ${rise}, ${fall})`);
  }

  /** Records one result; returns true when the health changed. */
  record(ok: boolean): boolean {
    if (ok) { this.passes++; this.failures = 0; } else { this.failures++; this.passes = 0; }
    const before = this.health;
    if (ok && this.passes >= this.rise && this.health !== 'up') this.health = 'up';
    if (!ok && this.failures >= this.fall && this.health !== 'down') this.health = 'down';
    return before !== this.health;
  }
}

/**
 * Runs a check every interval (never overlapping), applies rise/fall, and calls `onChange`
 * when health changes. The first probe runs immediately.
 */
export class HealthMonitor {
  readonly counter: RiseFall;
  lastResult: string | null = null;
  lastChange: Date | null = null;
  private timer?: NodeJS.Timeout;
  private stopped = true;

  constructor(
    readonly cfg: CheckConfig,
    private readonly onChange: (h: Health, detail: string) => void,
    private readonly run: (cfg: CheckConfig) => Promise<void> = (c) => defaultProbe(c.target, c.timeoutMs),
  ) {
    this.counter = new RiseFall(cfg.rise, cfg.fall);
  }

  get health(): Health {
    return this.counter.health;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    let ok = true;
    let detail = 'ok';
    let guard: NodeJS.Timeout | undefined;
    try {
      // A probe that never settles must not freeze the monitor: it fails after timeout + 1 s.
      await Promise.race([
        this.run(this.cfg),
        new Promise((_, reject) => { guard = setTimeout(() => reject(new Error('probe did not finish')), this.cfg.timeoutMs + 1000); }),
      ]);
    } catch (err) {
      ok = false;
      detail = (err as Error).message;
    } finally {
      clearTimeout(guard);
    }
    if (this.stopped) return;
    this.lastResult = detail;
    if (this.counter.record(ok)) {
      this.lastChange = new Date();
      this.onChange(this.counter.health, detail);
    }
    const wait = Math.max(0, this.cfg.intervalMs - (Date.now() - started));
    this.timer = setTimeout(() => void this.tick(), wait);
  }
}
