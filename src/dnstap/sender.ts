/**
 * The Frame Streams writer of a dnstap connection: connects to the collector's unix or TCP
 * socket, does the bidirectional handshake (READY → ACCEPT → START, fstrm.ts), writes the
 * queued data frames, and reconnects with backoff when the collector goes away. Never blocks
 * its caller: `send` puts a frame in a bounded queue and returns; a frame that finds the queue
 * full is dropped and counted — `collector_absent` while there is no connection,
 * `collector_slow` while the collector does not read fast enough — so a missing or slow
 * collector costs the DNS server one encode and one counter, never its answers.
 */
import * as net from 'node:net';
import type { Logger } from '../util/log';
import { parseHostPort } from '../util/host-port';
import { CONTROL, DNSTAP_CONTENT_TYPE, FrameReader, encodeControl } from './fstrm';

/** Where the collector listens: `unix:PATH` or `tcp:ADDR:PORT`. */
export type DnstapTarget = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Thrown for a `--dnstap` value that is neither `unix:PATH` nor `tcp:ADDR:PORT`. */
export class DnstapTargetError extends Error {
  override readonly name = 'DnstapTargetError';
  readonly code = 'E_DNSTAP_TARGET';
}

/** Parses `unix:PATH` or `tcp:ADDR:PORT` (IPv6 as `tcp:[::1]:6000`). */
export function parseDnstapTarget(spec: string): DnstapTarget {
  if (spec.startsWith('unix:')) {
    const path = spec.slice(5);
    if (path.length === 0) throw new DnstapTargetError(`${spec}: unix: needs a socket path`);
    return { kind: 'unix', path };
  }
  if (spec.startsWith('tcp:')) {
    try {
      const { host, port } = parseHostPort(spec.slice(4));
      return { kind: 'tcp', host, port };
    } catch (err) {
      throw new DnstapTargetError(`${spec}: tcp: needs ADDR:PORT (${(err as Error).message})`, { cause: err });
    }
  }
  throw new DnstapTargetError(`${spec}: expected unix:PATH or tcp:ADDR:PORT`);
}

/** The target as text, for logs. */
export function formatDnstapTarget(t: DnstapTarget): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `tcp:${net.isIPv6(t.host) ? `[${t.host}]` : t.host}:${t.port}`;
}

/** Why frames were dropped. */
export type DnstapDropReason = 'collector_absent' | 'collector_slow' | 'shutdown';
/** Every drop reason, for exporting zeros. */
export const DNSTAP_DROP_REASONS: readonly DnstapDropReason[] = ['collector_absent', 'collector_slow', 'shutdown'];

/** Counters of a sender. */
export interface DnstapCounters {
  /** Data frames written to the collector's socket. */
  sent: number;
  dropped: Record<DnstapDropReason, number>;
  /** Frames waiting in the queue now. */
  queued: number;
  /** The handshake is done and frames flow. */
  connected: boolean;
  /** Connections completed (handshakes) so far. */
  connections: number;
}

/** Options of FstrmSender. */
export interface SenderOptions {
  target: DnstapTarget;
  logger: Logger;
  /** Frames kept while the collector is absent or slow (default 10,000). */
  queueFrames?: number;
  /** Octets handed to the socket and not yet taken by the kernel before the queue holds the rest (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Reconnect backoff: first wait and longest wait (default 100 ms, 5 s). */
  backoffMs?: { min: number; max: number };
  /** A collector that does not ACCEPT within this time is dropped and retried (default 5 s). */
  handshakeTimeoutMs?: number;
  contentType?: string;
}

type State = 'idle' | 'connecting' | 'handshake' | 'started' | 'stopping' | 'closed';

/** A Frame Streams writer with a bounded queue (see the module comment). */
export class FstrmSender {
  private readonly ring: Array<Buffer | undefined>;
  private head = 0;
  private count = 0;
  private state: State = 'idle';
  private sock?: net.Socket;
  private reader = new FrameReader();
  private backoff: number;
  private retry?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;
  private flushQueued = false;
  private failing = false;
  private finished?: () => void;
  private readonly c: DnstapCounters = { sent: 0, dropped: { collector_absent: 0, collector_slow: 0, shutdown: 0 }, queued: 0, connected: false, connections: 0 };
  private readonly maxBuffered: number;
  private readonly contentType: string;

  constructor(private readonly opts: SenderOptions) {
    const cap = opts.queueFrames ?? 10_000;
    if (!Number.isInteger(cap) || cap < 1) throw new TypeError(`queueFrames: expected a positive integer, got ${cap}`);
    this.ring = new Array<Buffer | undefined>(cap);
    this.maxBuffered = opts.maxBufferedBytes ?? 1 << 20;
    this.backoff = opts.backoffMs?.min ?? 100;
    this.contentType = opts.contentType ?? DNSTAP_CONTENT_TYPE;
    this.connect();
  }

  /**
   * True when `n` more frames fit in the queue; otherwise counts the `n` as dropped and returns
   * false, so the caller does not even encode them.
   */
  admit(n: number): boolean {
    if (this.count + n <= this.ring.length && this.state !== 'stopping' && this.state !== 'closed') return true;
    this.c.dropped[this.dropReason()] += n;
    return false;
  }

  /** Queues one data frame (length word included, as encodeDnstap(…, framed) makes it); drops it when the queue is full. */
  send(frame: Buffer): void {
    if (this.count === this.ring.length || this.state === 'stopping' || this.state === 'closed') {
      this.c.dropped[this.dropReason()]++;
      return;
    }
    this.ring[(this.head + this.count) % this.ring.length] = frame;
    this.count++;
    if (this.state === 'started' && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  private dropReason(): DnstapDropReason {
    return this.state === 'stopping' || this.state === 'closed' ? 'shutdown' : this.state === 'started' ? 'collector_slow' : 'collector_absent';
  }

  /** A copy of the counters. */
  counters(): DnstapCounters {
    return { ...this.c, dropped: { ...this.c.dropped }, queued: this.count, connected: this.state === 'started' };
  }

  /**
   * Writes what the queue holds, sends STOP and waits for the collector's FINISH (at most
   * `timeoutMs`), then closes; frames still queued count as dropped (`shutdown`).
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.state === 'closed' || this.state === 'stopping') return;
    clearTimeout(this.retry);
    clearTimeout(this.handshakeTimer);
    const sock = this.sock;
    if (this.state === 'started' && sock) {
      this.state = 'stopping';
      this.flush(Infinity);
      const done = new Promise<void>((r) => {
        this.finished = r;
        sock.once('close', () => r());
      });
      sock.write(encodeControl(CONTROL.STOP));
      const timer = setTimeout(() => this.finished?.(), timeoutMs);
      await done;
      clearTimeout(timer);
    }
    this.state = 'closed';
    this.c.dropped.shutdown += this.count;
    this.ring.fill(undefined);
    this.count = 0;
    sock?.destroy();
  }

  private connect(): void {
    if (this.state === 'closed' || this.state === 'stopping') return;
    this.state = 'connecting';
    this.reader = new FrameReader();
    const t = this.opts.target;
    const sock = t.kind === 'unix' ? net.createConnection({ path: t.path }) : net.createConnection({ host: t.host, port: t.port });
    this.sock = sock;
    sock.setNoDelay?.(true);
    sock.on('connect', () => {
      this.state = 'handshake';
      sock.write(encodeControl(CONTROL.READY, [this.contentType]));
      this.handshakeTimer = setTimeout(() => this.fail(sock, 'no ACCEPT from the collector'), this.opts.handshakeTimeoutMs ?? 5000);
      this.handshakeTimer.unref();
    });
    sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
    sock.on('drain', () => this.flush());
    sock.on('error', (err) => this.fail(sock, err.message));
    sock.on('close', () => this.fail(sock, 'connection closed'));
  }

  private onData(sock: net.Socket, chunk: Buffer): void {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.fail(sock, (err as Error).message);
      return;
    }
    for (const f of frames) {
      if (!('control' in f)) {
        this.fail(sock, 'the collector sent a data frame');
        return;
      }
      const { type, contentTypes } = f.control;
      if (this.state === 'handshake' && type === CONTROL.ACCEPT) {
        // A reader that lists content types must list ours.
        if (contentTypes.length > 0 && !contentTypes.includes(this.contentType)) {
          this.fail(sock, `the collector accepts ${contentTypes.join(', ')}, not ${this.contentType}`);
          return;
        }
        clearTimeout(this.handshakeTimer);
        sock.write(encodeControl(CONTROL.START, [this.contentType]));
        this.state = 'started';
        this.c.connections++;
        this.backoff = this.opts.backoffMs?.min ?? 100;
        this.failing = false;
        this.opts.logger.info({ target: formatDnstapTarget(this.opts.target), queued: this.count }, 'dnstap connected');
        this.flush();
      } else if (this.state === 'stopping' && type === CONTROL.FINISH) {
        this.finished?.();
      } else {
        this.fail(sock, `unexpected control frame ${type} from the collector`);
        return;
      }
    }
  }

  /** Writes queued frames while the socket takes them (at most `budget` frames). */
  private flush(budget = this.ring.length): void {
    const sock = this.sock;
    if (!sock || (this.state !== 'started' && this.state !== 'stopping')) return;
    const batch: Buffer[] = [];
    let bytes = 0;
    while (this.count > 0 && batch.length < budget && (budget === Infinity || sock.writableLength + bytes < this.maxBuffered)) {
      const f = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      batch.push(f);
      bytes += f.length;
    }
    if (batch.length === 0) return;
    sock.write(batch.length === 1 ? batch[0] : Buffer.concat(batch, bytes));
    this.c.sent += batch.length;
  }

  private fail(sock: net.Socket, why: string): void {
    if (sock !== this.sock) return; // an old connection's late event
    clearTimeout(this.handshakeTimer);
    sock.destroy();
    this.sock = undefined;
    if (this.state === 'stopping') {
      this.finished?.();
      return;
    }
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'idle';
    // One line per outage, not per retry: the first failure after a connection (or at start).
    if (!this.failing) {
      this.failing = true;
      this.opts.logger.warn({ target: formatDnstapTarget(this.opts.target), reason: why, was, retryMs: this.backoff }, 'dnstap collector unavailable; dropping messages while the queue is full, retrying');
    }
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.backoffMs?.max ?? 5000);
    this.retry = setTimeout(() => this.connect(), wait);
    this.retry.unref();
  }
}
