import type { Logger } from '../util/log';
import type { BgpConfig } from './config';
import { COMMUNITY } from './wire/constants';
import { HealthMonitor } from './check/monitor';
import type { Health } from './check/monitor';
import type { CheckConfig } from './config';
import { Session } from './session';
import { Listener } from './listener';
import type { Advertisement } from './advert';
import type { AnnouncerStatus } from './status';

/** Where the announcer is in its life: see docs/bgp.md. */
export type Phase = 'starting' | 'up' | 'down' | 'draining' | 'disabled' | 'stopped';

/** Options for tests and embedding. */
export interface AnnouncerOptions {
  /** Replaces the real probe (unit tests). */
  probe?: (cfg: CheckConfig) => Promise<void>;
}

/**
 * Announces a config's prefixes to every neighbor exactly while its health check passes, and
 * drains gracefully: GRACEFUL_SHUTDOWN (RFC 8326) plus lower preference, wait, withdraw, Cease.
 */
export class Announcer {
  phase: Phase = 'starting';
  readonly sessions: Session[];
  private readonly listener: Listener;
  private readonly monitor: HealthMonitor;
  private drainTimer?: NodeJS.Timeout;
  private drainDone?: () => void;

  constructor(readonly cfg: BgpConfig, private readonly log: Logger, opts: AnnouncerOptions = {}) {
    this.sessions = cfg.neighbors.map((n) => new Session(n, log));
    this.listener = new Listener(this.sessions, log);
    this.monitor = new HealthMonitor(cfg.check, (h, detail) => this.onHealth(h, detail), opts.probe);
  }

  /** Opens listeners, starts sessions and the check. Nothing is announced before `rise` passes. */
  async start(): Promise<void> {
    await this.listener.start();
    for (const s of this.sessions) s.start();
    this.monitor.start();
  }

  private ads(draining: boolean): Advertisement[] {
    return this.cfg.prefixes.map((prefix) => ({ prefix, draining }));
  }

  private apply(draining: boolean | null): void {
    for (const s of this.sessions) {
      if (draining === null) { s.set(); continue; }
      const ibgp = s.cfg.localAsn === s.cfg.peerAsn;
      const extra = draining ? [COMMUNITY.GRACEFUL_SHUTDOWN] : [];
      s.set(...this.ads(draining).map((a): Advertisement => ({
        prefix: a.prefix,
        communities: [...s.cfg.communities, ...extra],
        med: s.cfg.med,
        // "Lower preference": LOCAL_PREF on iBGP; on eBGP, AS_PATH prepends (see docs/bgp.md).
        ...(draining && ibgp ? { localPref: this.cfg.drainLocalPref } : {}),
        ...(draining && !ibgp ? { prepend: this.cfg.drainPrepend } : {}),
      })));
    }
  }

  private onHealth(h: Health, detail: string): void {
    this.log.info({ announcer: this.cfg.name, health: h, detail }, `bgp check ${h}`);
    if (this.phase === 'draining' || this.phase === 'disabled' || this.phase === 'stopped') return;
    if (h === 'up') {
      this.phase = 'up';
      this.apply(false);
    } else if (h === 'down') {
      this.phase = 'down';
      this.apply(null);
    }
  }

  /**
   * Drains: re-announces with GRACEFUL_SHUTDOWN and lower preference, waits `drainMs`,
   * withdraws, then closes every session with Cease/Administrative Shutdown (6/2).
   * The announcer stays disabled until `enable()`.
   */
  async drain(): Promise<void> {
    if (this.phase === 'draining' || this.phase === 'disabled' || this.phase === 'stopped') return;
    const wasUp = this.phase === 'up';
    this.phase = 'draining';
    this.log.info({ announcer: this.cfg.name, drainMs: this.cfg.drainMs, wasUp }, 'bgp drain started');
    if (wasUp) {
      this.apply(true);
      await new Promise<void>((r) => {
        this.drainDone = r;
        this.drainTimer = setTimeout(r, this.cfg.drainMs);
      });
    }
    this.apply(null);
    // Give the withdrawals a moment to leave before the NOTIFICATION.
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(this.sessions.map((s) => s.close('anypick drained')));
    if ((this.phase as Phase) === 'draining') this.phase = 'disabled';
    this.log.info({ announcer: this.cfg.name }, 'bgp drain finished: withdrawn and sessions closed');
  }

  /** Leaves the disabled state: sessions restart and the prefixes return once the check passes. */
  enable(): void {
    if (this.phase !== 'disabled') return;
    this.phase = this.monitor.health === 'up' ? 'up' : this.monitor.health === 'down' ? 'down' : 'starting';
    if (this.phase === 'up') this.apply(false);
    for (const s of this.sessions) s.start();
    this.log.info({ announcer: this.cfg.name }, 'bgp enabled again');
  }

  /** Stops at once: check, sessions (Cease 6/2, which withdraws the routes), listeners. */
  async stop(): Promise<void> {
    this.phase = 'stopped';
    clearTimeout(this.drainTimer);
    this.drainDone?.();
    this.monitor.stop();
    await Promise.all(this.sessions.map((s) => s.close()));
    await this.listener.close();
  }

  status(): AnnouncerStatus {
    return {
      name: this.cfg.name, phase: this.phase, prefixes: this.cfg.prefixes,
      check: {
        kind: this.cfg.check.target.kind, healthy: this.monitor.health === 'up', passes: this.monitor.counter.passes,
        failures: this.monitor.counter.failures, lastResult: this.monitor.lastResult, lastChange: this.monitor.lastChange?.toISOString() ?? null,
      },
      sessions: this.sessions.map((s) => s.status()),
    };
  }
}
