/**
 * What `anypick serve` needs for signals: member state for the picks, the OTLP receiver
 * (`--signals`, on when tokens are configured) and the telemetry HTTP endpoint (`--http`).
 *
 * The receiver and the member registry run in a worker thread (receiver-thread.ts); the DNS
 * event loop holds a MemberStateMirror fed with the registry's published state. With
 * `serve --workers N` the primary runs that thread (startSignalsPrimary) and relays each state
 * to every DNS worker over the cluster IPC channel; workers send their delivery configuration
 * back. How a worker gets its DNS sockets plays no part in this.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { UsageError, intOption } from '../command';
import type { DeliveryModel } from '../../config/model';
import { startTelemetryServer } from '../../telemetry/http';
import type { TelemetryServerOptions } from '../../telemetry/http';
import type { TelemetryServer } from '../../telemetry/http';
import { Telemetry } from '../../telemetry/metrics';
import type { DnsCountsLike } from '../../telemetry/metrics';
import type { Logger, LogLevel } from '../../util/log';
import { signalsConfigFromModel } from '../../signals/from-model';
import type { IngestObserver } from '../../signals/receiver';
import { startReceiverThread, threadConfig } from '../../signals/receiver-thread';
import type { FromThread, ReceiverThread, ThreadConfig, TokenSource } from '../../signals/receiver-thread';
import { MemberStateMirror } from '../../signals/state';
import { LatencyMirror } from '../../signals/latency-map';
import type { LatencyBatch } from '../../signals/latency-map';
import type { PublishedState } from '../../signals/state';
import { TlsCertificates } from '../../util/tls';
import type { TlsFiles } from '../../util/tls';
import { TokenStore } from '../../signals/tokens';
import { stateFilePath } from '../../signals/snapshot';

/** The `serve` options this module reads. */
export const SIGNALS_SERVE_OPTIONS = {
  signals: { type: 'string' },
  tokens: { type: 'string' },
  'signals-tls-cert': { type: 'string' },
  'signals-tls-key': { type: 'string' },
  'signals-tls-client-ca': { type: 'string' },
  http: { type: 'string' },
  'otlp-metrics': { type: 'string' },
  'state-file': { type: 'string' },
  'latency-max-networks': { type: 'string' },
  'latency-networks-per-minute': { type: 'string' },
} as const;

/** Default listen addresses. */
export const DEFAULT_SIGNALS_LISTEN = '127.0.0.1:4318';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:8053';

/** Usage lines for `serve --help`. */
export const SIGNALS_SERVE_USAGE = `  --signals ADDR:PORT OTLP/HTTP receiver for member signals (default ${DEFAULT_SIGNALS_LISTEN}); runs when
                      tokens are configured (docs/signals.md)
  --tokens FILE       bearer tokens bound to members, 'TOKEN TIER SERVICE MEMBER [BLOCK]' a line
                      (default: env ANYPICK_TOKENS; never commit tokens to git); re-read on
                      SIGHUP and when the file changes (a bad file keeps the last good set)
  --signals-tls-cert FILE, --signals-tls-key FILE
                      serve the receiver over HTTPS (PEM; re-read on SIGHUP)
  --signals-tls-client-ca FILE
                      also require client certificates signed by this CA (mTLS; tokens still needed)
  --http ADDR:PORT    dashboard (/), /metrics (Prometheus), /status.json (default ${DEFAULT_HTTP_LISTEN}; when not
                      given explicitly, a busy port is only a warning)
  --otlp-metrics URL  also push anypick's own metrics to this OTLP/HTTP URL (…/v1/metrics)
  --state-file FILE   member state snapshot, written every second and on shutdown, restored at
                      start when younger than one lease (default $STATE_DIRECTORY/member-state.json
                      under systemd, else none; 'none' for none)
  --latency-max-networks N
                      client networks the latency map holds (default 1000000, about 150 bytes each;
                      the least recently reported is dropped first)
  --latency-networks-per-minute N
                      distinct client networks one datacenter may report per minute (default 100000;
                      more are refused as 'too-many-networks')`;


/** `--signals-tls-*` as TlsFiles (undefined without them); UsageError for half a pair. */
export function signalsTls(values: Record<string, unknown>): TlsFiles | undefined {
  const cert = values['signals-tls-cert'] as string | undefined;
  const key = values['signals-tls-key'] as string | undefined;
  const clientCa = values['signals-tls-client-ca'] as string | undefined;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new UsageError('--signals-tls-client-ca needs --signals-tls-cert and --signals-tls-key');
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new UsageError('--signals-tls-cert and --signals-tls-key go together');
  const tls: TlsFiles = { cert, key };
  if (clientCa !== undefined) tls.clientCa = clientCa;
  TlsCertificates.load([tls], { clientCa, flag: '--signals-tls' }); // fail at start, not on the first handshake
  return tls;
}

/** Where tokens come from, checked now (TokenFileError on a bad file); undefined when none. */
function tokenSource(values: Record<string, unknown>): TokenSource | undefined {
  const file = values.tokens as string | undefined;
  const store = TokenStore.load(file);
  if (!store) return undefined;
  return file ? { file } : { text: process.env.ANYPICK_TOKENS! };
}

/** Messages between the primary and the DNS workers of `serve --workers N`. */
type RelayMessage =
  | { anypick: 'signals-state'; state: PublishedState }
  | { anypick: 'signals-config'; config: ThreadConfig }
  | { anypick: 'signals-hello' }
  | { anypick: 'signals-latency'; batch: LatencyBatch; prefixes: { v4: number; v6: number } }
  | { anypick: 'signals-count'; m: FromThread };

function isRelay(m: unknown): m is RelayMessage {
  return typeof m === 'object' && m !== null && typeof (m as { anypick?: unknown }).anypick === 'string' && String((m as { anypick: string }).anypick).startsWith('signals-');
}

/** Signals side of a running `serve` (single process, or one DNS worker of several). */
export class ServeSignals {
  /** Member state for the picks; undefined when no tokens are configured (static answers only). */
  readonly registry: MemberStateMirror | undefined;
  /** Measured client latency (anypick.client.rtt reports); empty without signals. */
  readonly latency: LatencyMirror;
  private readonly networksPerMinute: number | undefined;
  private thread?: ReceiverThread;
  private http?: TelemetryServer;
  private telemetry?: Telemetry;
  private config?: ThreadConfig;
  private onRelay?: (m: unknown) => void;

  private constructor(
    private readonly values: Record<string, unknown>,
    private readonly logger: Logger,
    private readonly tokens: TokenSource | undefined,
    private readonly tls: TlsFiles | undefined,
    /** True in a DNS worker of `serve --workers N`: state comes from the primary. */
    private readonly relayed: boolean,
  ) {
    this.registry = tokens || relayed ? new MemberStateMirror() : undefined;
    this.latency = new LatencyMirror({ maxNetworks: intOption(values, 'latency-max-networks', 1) });
    // Checked at start-up whether or not a receiver will run: a bad value is a usage error either way.
    this.networksPerMinute = intOption(values, 'latency-networks-per-minute', 1);
  }

  /**
   * Reads `--tokens`/ANYPICK_TOKENS (throws TokenFileError on a bad file) and the TLS files.
   * In a cluster worker (`workers` > 1) member state is the primary's, relayed over IPC.
   */
  static create(values: Record<string, unknown>, logger: Logger, workers = 1): ServeSignals {
    const relayed = workers > 1 && cluster.isWorker;
    const tokens = relayed ? undefined : tokenSource(values);
    const tls = relayed ? undefined : signalsTls(values);
    if (!tokens && !relayed && values.signals !== undefined) logger.warn('--signals given but no tokens (--tokens FILE or ANYPICK_TOKENS): the receiver stays off');
    const s = new ServeSignals(values, logger, tokens, tls, relayed && process.env.ANYPICK_SIGNALS_RELAY === '1');
    if (s.relayed && s.registry) {
      const mirror = s.registry;
      s.onRelay = (m: unknown) => {
        if (!isRelay(m)) return;
        if (m.anypick === 'signals-state') mirror.apply(m.state);
        else if (m.anypick === 'signals-latency') s.latency.apply(m.batch, m.prefixes);
        else if (m.anypick === 'signals-count') s.count(m.m);
      };
      process.on('message', s.onRelay);
      process.send?.({ anypick: 'signals-hello' } satisfies RelayMessage);
    }
    return s;
  }

  /** Applies a loaded delivery model: lease, report interval, subscribe rules, member blocks. */
  configure(model: DeliveryModel): void {
    if (!this.registry) return;
    this.config = threadConfig(signalsConfigFromModel(model));
    if (this.relayed) process.send?.({ anypick: 'signals-config', config: this.config } satisfies RelayMessage);
    else this.thread?.configure(this.config);
  }

  /** SIGHUP: re-read tokens and TLS files (in a worker the primary does it). */
  reload(): void {
    this.thread?.reload();
  }

  private count(m: FromThread): void {
    const t = this.telemetry;
    if (!t) return;
    if (m.type === 'ingest') t.ingest(m.signal, m.outcome, m.n);
    else if (m.type === 'refused') t.refused(m.status);
    else if (m.type === 'time') t.timeRejected(m.member, m.reason, m.n);
    else if (m.type === 'latency-rejected') t.latencyRejected(m.reason, m.n);
  }

  /** Starts the receiver thread (when tokens exist) and the telemetry HTTP server. */
  async start(dnsSnapshot?: () => DnsCountsLike, page?: Pick<TelemetryServerOptions, 'status' | 'dashboard' | 'json' | 'assets'>, geoBuilds?: () => Array<{ file: string; buildEpoch: number }>): Promise<void> {
    const reg = this.registry;
    this.telemetry = new Telemetry({ registry: reg, dnsSnapshot, geoBuilds, otlpUrl: this.values['otlp-metrics'] as string | undefined, latency: () => this.latency.current });
    if (reg && this.tokens) {
      this.thread = await startReceiverThread({
        listen: (this.values.signals as string | undefined) ?? DEFAULT_SIGNALS_LISTEN,
        tokens: this.tokens,
        tls: this.tls,
        logLevel: this.logger.level as LogLevel,
        config: this.config,
        stateFile: stateFilePath(this.values['state-file']),
        latencyNetworksPerMinute: this.networksPerMinute,
        onState: (state) => reg.apply(state),
        onLatency: (batch, prefixes) => this.latency.apply(batch, prefixes),
        observer: this.telemetry,
        onCrash: (err) => {
          this.logger.fatal({ err }, 'signals receiver thread died; stopping so the service manager restarts anypick');
          process.exitCode = 3;
          process.kill(process.pid, 'SIGTERM');
        },
      });
      this.logger.info({ address: this.thread.address, tls: this.thread.secure }, 'OTLP signals receiver listening (own thread)');
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
    if (this.onRelay) process.off('message', this.onRelay);
    await this.thread?.close();
    await this.http?.close();
    await this.telemetry?.shutdown();
  }
}

/** The signals part of the primary of `serve --workers N`. */
export interface SignalsPrimary {
  close(): Promise<void>;
}

/**
 * In the primary of `serve --workers N`: runs the receiver thread (one registry for all
 * workers), relays every published state to every worker, sends the latest state to a worker
 * that says hello (started or restarted), takes delivery configuration from workers, counts
 * ingest in the first worker's telemetry, and re-reads tokens and TLS files on SIGHUP.
 * Undefined when no tokens are configured.
 */
export async function startSignalsPrimary(values: Record<string, unknown>, logger: Logger): Promise<SignalsPrimary | undefined> {
  const tokens = tokenSource(values);
  const tls = signalsTls(values);
  if (!tokens) {
    if (values.signals !== undefined) logger.warn('--signals given but no tokens (--tokens FILE or ANYPICK_TOKENS): the receiver stays off');
    return undefined;
  }
  let last: PublishedState | undefined;
  let lastConfig = '';
  const workers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  const sendTo = (w: Worker, m: RelayMessage): void => {
    try {
      w.send(m);
    } catch {
      /* a worker going away; it is replaced and says hello */
    }
  };
  const toFirst = (m: FromThread): void => {
    const w = workers()[0];
    if (w) sendTo(w, { anypick: 'signals-count', m });
  };
  const thread = await startReceiverThread({
    listen: (values.signals as string | undefined) ?? DEFAULT_SIGNALS_LISTEN,
    tokens,
    tls,
    logLevel: logger.level as LogLevel,
    latencyNetworksPerMinute: intOption(values, 'latency-networks-per-minute', 1),
    onState: (state) => {
      last = state;
      for (const w of workers()) sendTo(w, { anypick: 'signals-state', state });
    },
    // Every worker keeps its own latency map from the same batches (a worker started later
    // learns from the next reports; the gap is noted in docs/datacenter-pick.md).
    onLatency: (batch, prefixes) => {
      for (const w of workers()) sendTo(w, { anypick: 'signals-latency', batch, prefixes });
    },
    observer: {
      ingest: (signal, outcome, n) => toFirst({ type: 'ingest', signal, outcome, n }),
      refused: (status) => toFirst({ type: 'refused', status }),
      timeRejected: (member, reason, n) => toFirst({ type: 'time', member, reason, n }),
      latencyRejected: (reason, n) => toFirst({ type: 'latency-rejected', reason, n }),
    } satisfies IngestObserver,
    onCrash: (err) => {
      logger.fatal({ err }, 'signals receiver thread died; stopping so the service manager restarts anypick');
      process.exitCode = 3;
      process.kill(process.pid, 'SIGTERM');
    },
  });
  logger.info({ address: thread.address, tls: thread.secure }, 'OTLP signals receiver listening in the primary (one registry for every worker)');
  const onMessage = (w: Worker, m: unknown): void => {
    if (!isRelay(m)) return;
    if (m.anypick === 'signals-hello' && last) sendTo(w, { anypick: 'signals-state', state: last });
    else if (m.anypick === 'signals-config') {
      // Every worker loads the same files; apply a configuration once per change.
      const key = JSON.stringify(m.config);
      if (key !== lastConfig) {
        lastConfig = key;
        thread.configure(m.config);
      }
    }
  };
  const onHup = (): void => thread.reload();
  // Workers forked from now on inherit this and take their member state from the relay.
  process.env.ANYPICK_SIGNALS_RELAY = '1';
  cluster.on('message', onMessage);
  process.on('SIGHUP', onHup);
  return {
    async close() {
      cluster.off('message', onMessage);
      process.off('SIGHUP', onHup);
      await thread.close();
    },
  };
}
