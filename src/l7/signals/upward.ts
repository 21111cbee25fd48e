/**
 * Publishes a tier's aggregated availability to the tier above with the same OpenTelemetry
 * publisher `anypick report` uses (src/signals/reporter): presence (with the tier's own address),
 * readiness (ready fraction × mode factor, 0 when nothing is ready) and the utilization gauge.
 */
import { Reporter } from '../../signals/reporter';
import type { ReporterOptions } from '../../signals/reporter';
import type { Tier } from '../../signals/signal';
import type { Logger } from '../../util/log';
import type { Availability } from './availability';

/** Options of an upward publisher. */
export interface UpwardOptions {
  /** Who this tier is to the tier above, e.g. cluster / my-service / cluster-1. */
  tier: Tier;
  service: string;
  member: string;
  /** Address the tier above forwards to (this proxy's listen address). */
  address?: string;
  /** Port it listens on (sent with the address). */
  port?: number;
  /** OTLP/HTTP base URLs of the receivers above. */
  endpoints: string[];
  token: string;
  /** PEM CA to verify https endpoints above with. */
  ca?: Buffer;
  intervalMs: number;
  /** Current availability, computed per round. */
  availability: () => Availability;
  logger?: Logger;
}

/** A running upward publisher. */
export class UpwardPublisher {
  private readonly reporter: Reporter;
  /** What the last round published. */
  last: Availability | undefined;

  constructor(o: UpwardOptions) {
    // The reporter reads `ready` and calls `utilization` once per round: both come from one
    // availability snapshot taken in `utilization` (called first) or in `ready`.
    let snap: Availability | undefined;
    const take = (): Availability => {
      snap = o.availability();
      this.last = snap;
      return snap;
    };
    const opts: ReporterOptions = {
      id: { tier: o.tier, service: o.service, member: o.member },
      address: o.address,
      port: o.port,
      logEndpoints: o.endpoints,
      metricEndpoints: o.endpoints,
      token: o.token,
      ca: o.ca,
      intervalMs: o.intervalMs,
      get ready(): number {
        const a = take();
        o.logger?.debug({ availability: a }, 'publishing availability upward');
        return a.ready ? Math.max(a.readiness, 0.001) : 0;
      },
      utilization: async () => snap?.utilization,
      logger: o.logger,
    };
    this.reporter = new Reporter(opts);
  }

  /** Publishes now and every interval. */
  start(): void {
    this.reporter.start();
  }

  /** Publishes one round now. */
  async publishOnce(): Promise<void> {
    await this.reporter.report();
  }

  /** Stops and says `leaving`. */
  async stop(): Promise<void> {
    await this.reporter.stop();
  }
}
