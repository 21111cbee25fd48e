/**
 * The OTLP receiver in its own worker thread, away from the DNS event loop: the thread owns the
 * HTTP(S) server, token lookup, gunzip, decoding, validation and the member registry, and posts
 * the registry's state (PublishedState, O(members)) after every change. The DNS side applies it
 * to a MemberStateMirror. A 1 MiB body that takes a second to decode costs the thread that
 * second, never a DNS query.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../util/log';
import type { Logger, LogLevel } from '../util/log';
import type { SignalsConfig } from './config';
import { registrySettings } from './config';
import type { IngestLimits } from './limits';
import { startSignalsReceiver } from './receiver';
import type { IngestObserver, SignalsReceiver } from './receiver';
import { MemberRegistry } from './registry';
import { DEFAULT_NETWORKS_PER_MINUTE, NetworkQuota } from './latency-extract';
import type { LatencyRejectReason } from './latency-extract';
import type { LatencyBatch } from './latency-map';
import { DEFAULT_NETWORK_PREFIXES } from '../util/network-key';
import type { SignalKind } from './signal';
import { publishState } from './state';
import type { PublishedState } from './state';
import type { TlsFiles } from '../util/tls';
import { TokenStore } from './tokens';
import { startSnapshots } from './snapshot';
import type { WeightParams } from './weight';

/** The registry settings and member blocks of a loaded delivery, in a form that clones over IPC. */
export interface ThreadConfig {
  leaseMs: number;
  graceMs: number;
  weight: WeightParams;
  subscribed: SignalKind[];
  blocks: Array<[string, string[]]>;
  /** Datacenter members that may report client latency (`datacenter/service/member`). */
  datacenters: string[];
  latencyPrefixes: { v4: number; v6: number };
}

/** ThreadConfig of a signals configuration. */
export function threadConfig(cfg: SignalsConfig): ThreadConfig {
  const s = registrySettings(cfg);
  return { leaseMs: s.leaseMs, graceMs: s.graceMs, weight: s.weight, subscribed: [...s.subscribed], blocks: [...cfg.blocks], datacenters: [...cfg.datacenters], latencyPrefixes: cfg.latencyPrefixes };
}

/** Where the thread reads tokens: a file (re-read on SIGHUP and on change) or fixed text (env). */
export interface TokenSource {
  file?: string;
  text?: string;
}

interface ThreadData {
  kind: 'anypick-signals-receiver';
  listen: string;
  tokens: TokenSource;
  tls?: TlsFiles;
  logLevel: LogLevel;
  limits?: Partial<IngestLimits>;
  maxSkewMs?: number;
  config?: ThreadConfig;
  stateFile?: string;
  /** Distinct client networks one datacenter may report per minute. */
  latencyNetworksPerMinute?: number;
}

type ToThread = { type: 'configure'; config: ThreadConfig } | { type: 'reload' } | { type: 'close' };

/** Messages the thread posts; `state` is also what the primary relays to DNS workers. */
export type FromThread =
  | { type: 'listening'; address: AddressInfo; secure: boolean }
  | { type: 'failed'; message: string }
  | { type: 'state'; state: PublishedState }
  | { type: 'ingest'; signal: 'logs' | 'metrics'; outcome: 'accepted' | 'rejected'; n: number }
  | { type: 'refused'; status: number }
  | { type: 'time'; member: string; reason: 'stale' | 'future'; n: number }
  | { type: 'latency'; batch: LatencyBatch; prefixes: { v4: number; v6: number } }
  | { type: 'latency-rejected'; reason: LatencyRejectReason; n: number }
  | { type: 'closed' };

/** Options of startReceiverThread. */
export interface ReceiverThreadOptions {
  listen: string;
  tokens: TokenSource;
  tls?: TlsFiles;
  logLevel?: LogLevel;
  limits?: Partial<IngestLimits>;
  maxSkewMs?: number;
  /** The first configuration (more with `configure`). */
  config?: ThreadConfig;
  /** Member state snapshot file (restored at start when younger than one lease; written every second and on close). */
  stateFile?: string;
  /** Distinct client networks one datacenter may report per minute (default DEFAULT_NETWORKS_PER_MINUTE). */
  latencyNetworksPerMinute?: number;
  /** Called with every published registry state, in order. */
  onState(state: PublishedState): void;
  /** Called with every checked client latency batch and the prefixes its keys are made with. */
  onLatency?(batch: LatencyBatch, prefixes: { v4: number; v6: number }): void;
  observer?: IngestObserver;
  /** Told when the thread dies unexpectedly (the caller decides what to do). */
  onCrash?(err: Error): void;
}

/** The running receiver thread, seen from the thread that started it. */
export interface ReceiverThread {
  address: AddressInfo;
  secure: boolean;
  /** Applies a new delivery configuration (lease, grace, weights, subscriptions, blocks). */
  configure(config: ThreadConfig): void;
  /** Re-reads the tokens file and the TLS files (a bad file is logged; the last good set stays). */
  reload(): void;
  close(): Promise<void>;
}

/** Starts the receiver thread; rejects when it cannot listen (address in use, bad TLS files). */
export function startReceiverThread(opts: ReceiverThreadOptions): Promise<ReceiverThread> {
  const data: ThreadData = {
    kind: 'anypick-signals-receiver',
    listen: opts.listen,
    tokens: opts.tokens,
    tls: opts.tls,
    logLevel: opts.logLevel ?? 'info',
    limits: opts.limits,
    maxSkewMs: opts.maxSkewMs,
    config: opts.config,
    stateFile: opts.stateFile,
    latencyNetworksPerMinute: opts.latencyNetworksPerMinute,
  };
  const worker = new Worker(__filename, { workerData: data });
  let closing = false;
  let closed: () => void = () => undefined;
  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: FromThread) => {
      switch (m.type) {
        case 'listening':
          started = true;
          resolve({
            address: m.address,
            secure: m.secure,
            configure: (config) => worker.postMessage({ type: 'configure', config } satisfies ToThread),
            reload: () => worker.postMessage({ type: 'reload' } satisfies ToThread),
            close: () => new Promise<void>((done) => {
              closing = true;
              closed = done;
              worker.postMessage({ type: 'close' } satisfies ToThread);
              setTimeout(() => void worker.terminate(), 3000).unref();
            }),
          });
          break;
        case 'failed':
          reject(new Error(m.message));
          break;
        case 'state':
          opts.onState(m.state);
          break;
        case 'ingest':
          opts.observer?.ingest(m.signal, m.outcome, m.n);
          break;
        case 'refused':
          opts.observer?.refused(m.status);
          break;
        case 'time':
          opts.observer?.timeRejected?.(m.member, m.reason, m.n);
          break;
        case 'latency':
          opts.onLatency?.(m.batch, m.prefixes);
          break;
        case 'latency-rejected':
          opts.observer?.latencyRejected?.(m.reason, m.n);
          break;
        case 'closed':
          break;
      }
    });
    worker.on('error', (err) => {
      if (!started) reject(err);
      else if (!closing) opts.onCrash?.(err);
    });
    worker.on('exit', (code) => {
      if (!started) reject(new Error(`signals receiver thread exited with code ${code} before listening`));
      else if (!closing) opts.onCrash?.(new Error(`signals receiver thread exited with code ${code}`));
      closed();
    });
  });
}

/** Watches one file (through its directory, so a rename over it counts) and debounces. */
function watchFile(file: string, logger: Logger, onChange: () => void): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    const w = watch(dirname(file), (_e, name) => {
      if (name !== null && name !== basename(file)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 200);
    });
    w.on('error', (err) => logger.warn({ err, file }, 'tokens file watch failed'));
    return w;
  } catch (err) {
    logger.warn({ err, file }, 'cannot watch the tokens file; SIGHUP still re-reads it');
    return undefined;
  }
}

/** The thread's side: registry + receiver, driven by messages. */
async function runThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const post = (m: FromThread): void => port.postMessage(m);
  const logger = createLogger(data.logLevel).child({ thread: 'signals' });
  const publish = (): void => post({ type: 'state', state: publishState(registry) });
  const registry: MemberRegistry = new MemberRegistry({
    ...(data.config ? { leaseMs: data.config.leaseMs, graceMs: data.config.graceMs, weight: data.config.weight, subscribed: new Set(data.config.subscribed) } : {}),
    onChange: () => publish(),
    onExpire: (id) => logger.info({ member: `${id.tier}/${id.service}/${id.member}` }, 'lease expired'),
  });
  const blocks = new Map<string, readonly string[]>(data.config?.blocks ?? []);
  const latency = {
    datacenters: new Set<string>(data.config?.datacenters ?? []),
    prefixes: { ...(data.config?.latencyPrefixes ?? DEFAULT_NETWORK_PREFIXES) },
    quota: new NetworkQuota(data.latencyNetworksPerMinute ?? DEFAULT_NETWORKS_PER_MINUTE),
  };
  let tokens: TokenStore;
  try {
    tokens = data.tokens.file ? TokenStore.load(data.tokens.file)! : TokenStore.parse(data.tokens.text ?? '', 'ANYPICK_TOKENS');
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message });
    registry.close();
    return;
  }
  const reloadTokens = (why: string): void => {
    if (!data.tokens.file) {
      logger.warn({ why }, 'tokens come from ANYPICK_TOKENS: restart to change them (use --tokens FILE to rotate without a restart)');
      return;
    }
    try {
      const next = TokenStore.load(data.tokens.file)!;
      tokens.replaceWith(next);
      logger.info({ why, file: data.tokens.file, tokens: next.size }, 'tokens reloaded');
    } catch (err) {
      logger.error({ why, err: (err as Error).message }, `tokens not reloaded: ${(err as Error).message}; keeping the last good set`);
    }
  };
  let receiver: SignalsReceiver;
  try {
    receiver = await startSignalsReceiver({
      listen: data.listen,
      registry,
      tokens,
      tls: data.tls,
      limits: data.limits,
      maxSkewMs: data.maxSkewMs,
      blocks,
      logger,
      latency,
      // Plain arrays: they cross to the DNS side and, with --workers, on through cluster IPC (JSON).
      onLatency: (batch) => post({ type: 'latency', batch, prefixes: { ...latency.prefixes } }),
      observer: {
        ingest: (signal, outcome, n) => post({ type: 'ingest', signal, outcome, n }),
        refused: (status) => post({ type: 'refused', status }),
        timeRejected: (member, reason, n) => post({ type: 'time', member, reason, n }),
        latencyRejected: (reason, n) => post({ type: 'latency-rejected', reason, n }),
      },
    });
  } catch (err) {
    registry.close();
    post({ type: 'failed', message: `signals receiver on ${data.listen}: ${(err as Error).message}` });
    return;
  }
  // Restored before the first state is published (and before 'listening'): answers never see the gap.
  const snapshots = data.stateFile ? startSnapshots(data.stateFile, registry, logger) : undefined;
  const watcher = data.tokens.file ? watchFile(data.tokens.file, logger, () => reloadTokens('file change')) : undefined;
  port.on('message', (m: ToThread) => {
    if (m.type === 'configure') {
      blocks.clear();
      for (const [k, v] of m.config.blocks) blocks.set(k, v);
      latency.datacenters.clear();
      for (const k of m.config.datacenters) latency.datacenters.add(k);
      latency.prefixes.v4 = m.config.latencyPrefixes.v4;
      latency.prefixes.v6 = m.config.latencyPrefixes.v6;
      registry.configure({ leaseMs: m.config.leaseMs, graceMs: m.config.graceMs, weight: m.config.weight, subscribed: new Set(m.config.subscribed) });
      publish();
    } else if (m.type === 'reload') {
      reloadTokens('SIGHUP');
      try {
        receiver.reloadTls();
      } catch (err) {
        logger.error({ err: (err as Error).message }, `TLS files not reloaded: ${(err as Error).message}; keeping the last good ones`);
      }
    } else if (m.type === 'close') {
      watcher?.close();
      snapshots?.stop();
      registry.close();
      void receiver.close().then(() => {
        post({ type: 'closed' });
        port.close();
      });
    }
  });
  post({ type: 'listening', address: receiver.address(), secure: receiver.secure });
  publish();
}

if (!isMainThread && (workerData as ThreadData | undefined)?.kind === 'anypick-signals-receiver') {
  void runThread(workerData as ThreadData);
}
