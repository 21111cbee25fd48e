/**
 * What `anypick serve` needs for signals: the member registry (handed to the datacenter pick as
 * its MemberStateSource), the OTLP receiver (`--signals`, on when tokens are configured) and the
 * telemetry HTTP endpoint (`--http`). Kept here so serve.ts only calls create/configure/start/close.
 */
import type { DeliveryModel } from '../../config/model';
import { registrySettings } from '../../signals/config';
import { signalsConfigFromModel } from '../../signals/from-model';
import { startSignalsReceiver } from '../../signals/receiver';
import type { SignalsReceiver } from '../../signals/receiver';
import { MemberRegistry } from '../../signals/registry';
import { TokenStore } from '../../signals/tokens';
import { startTelemetryServer } from '../../telemetry/http';
import type { TelemetryServer } from '../../telemetry/http';
import { Telemetry } from '../../telemetry/metrics';
import type { DnsCountsLike } from '../../telemetry/metrics';
import type { Logger } from '../../util/log';
import { UsageError } from '../command';

/** The `serve` options this module reads. */
export const SIGNALS_SERVE_OPTIONS = {
  signals: { type: 'string' },
  tokens: { type: 'string' },
  http: { type: 'string' },
  'otlp-metrics': { type: 'string' },
} as const;

/** Default listen addresses. */
export const DEFAULT_SIGNALS_LISTEN = '127.0.0.1:4318';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:8053';

/** Usage lines for `serve --help`. */
export const SIGNALS_SERVE_USAGE = `  --signals ADDR:PORT OTLP/HTTP receiver for member signals (default ${DEFAULT_SIGNALS_LISTEN}); runs when
                      tokens are configured (docs/signals.md)
  --tokens FILE       bearer tokens bound to members, 'TOKEN TIER SERVICE MEMBER [BLOCK]' a line
                      (default: env ANYPICK_TOKENS; never commit tokens to git)
  --http ADDR:PORT    dashboard (/), /metrics (Prometheus), /status.json (default ${DEFAULT_HTTP_LISTEN}; when not
                      given explicitly, a busy port is only a warning)
  --otlp-metrics URL  also push anypick's own metrics to this OTLP/HTTP URL (…/v1/metrics)`;

/** Signals side of a running `serve`. */
export class ServeSignals {
  /** Member state for the picks; undefined when no tokens are configured (static answers only). */
  readonly registry: MemberRegistry | undefined;
  private readonly blocks = new Map<string, readonly string[]>();
  private receiver?: SignalsReceiver;
  private http?: TelemetryServer;
  private telemetry?: Telemetry;

  private constructor(private readonly values: Record<string, unknown>, private readonly logger: Logger, private readonly tokens: TokenStore | undefined) {
    this.registry = tokens ? new MemberRegistry({ onExpire: (id) => logger.info({ member: id }, 'lease expired') }) : undefined;
  }

  /**
   * Reads `--tokens`/ANYPICK_TOKENS (throws TokenFileError on a bad file). Member state lives in
   * one process, so signals and `--workers N` > 1 exclude each other (UsageError).
   */
  static create(values: Record<string, unknown>, logger: Logger, workers = 1): ServeSignals {
    const tokens = TokenStore.load(values.tokens as string | undefined);
    if (tokens && workers > 1) throw new UsageError('signals (--tokens or ANYPICK_TOKENS) need --workers 1: member state lives in one process');
    if (!tokens && values.signals !== undefined) logger.warn('--signals given but no tokens (--tokens FILE or ANYPICK_TOKENS): the receiver stays off');
    return new ServeSignals(values, logger, tokens);
  }

  /** Applies a loaded delivery model: lease, report interval, subscribe rules, member blocks. */
  configure(model: DeliveryModel): void {
    if (!this.registry) return;
    const cfg = signalsConfigFromModel(model);
    this.blocks.clear();
    for (const [k, v] of cfg.blocks) this.blocks.set(k, v);
    this.registry.configure(registrySettings(cfg));
  }

  /** Starts the receiver (when tokens exist) and the telemetry HTTP server. */
  async start(dnsSnapshot?: () => DnsCountsLike, page?: { status?: () => object; dashboard?: string }): Promise<void> {
    const reg = this.registry;
    this.telemetry = new Telemetry({ registry: reg, dnsSnapshot, otlpUrl: this.values['otlp-metrics'] as string | undefined });
    if (reg && this.tokens) {
      this.receiver = await startSignalsReceiver({
        listen: (this.values.signals as string | undefined) ?? DEFAULT_SIGNALS_LISTEN,
        registry: reg,
        tokens: this.tokens,
        blocks: this.blocks,
        logger: this.logger,
        observer: this.telemetry,
      });
    }
    const explicit = this.values.http as string | undefined;
    try {
      this.http = await startTelemetryServer({ listen: explicit ?? DEFAULT_HTTP_LISTEN, telemetry: this.telemetry, registry: reg, logger: this.logger, ...page });
    } catch (err) {
      if (explicit) throw err;
      this.logger.warn({ err }, `telemetry HTTP not started on ${DEFAULT_HTTP_LISTEN}`);
    }
  }

  /** Counts one DNS answer naming a member (for `anypick.dns.answers`). */
  answer(service: string, member: string, n = 1): void {
    this.telemetry?.answer(service, member, n);
  }

  /** Stops everything. */
  async close(): Promise<void> {
    await this.receiver?.close();
    await this.http?.close();
    await this.telemetry?.shutdown();
    this.registry?.close();
  }
}
