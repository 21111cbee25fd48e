/**
 * The batched UDP transport: the native addon `anypick_udp` (native/udp-batch.cc) reads up to
 * BATCH_SLOTS datagrams per wake-up with recvmmsg, this module answers each with the same
 * `DnsEngine.handle` the `dgram` transport calls (so the reply cache and every per-query check
 * apply alike), and the replies leave with one sendmmsg. Linux only; where the addon is not
 * built, `udpIo` says why and the server uses `dgram`.
 */
import { isIPv6 } from 'node:net';
import { loadAddon } from '../native/addon';
import { formatAddress, parseAddress } from '../util/ip';
import type { DnsEngine, QueryContext } from './engine';
import { wallClockMs } from './observer';
import type { DnsExchange, DnsObserver } from './observer';
import { MAX_MESSAGE } from './wire/writer';

/** The addon's surface (see native/udp-batch.cc). */
interface UdpAddon {
  open(family: 4 | 6, address: Buffer, port: number, reusePort: boolean): number;
  localPort(fd: number): number;
  create(fd: number, rx: Buffer, rxMeta: Buffer, tx: Buffer, txMeta: Buffer, slots: number, slotSize: number, onBatch: (count: number) => void): object;
  send(handle: object, replies: number): number;
  stats(handle: object): number[];
  close(handle: object): void;
  closeFd(fd: number): void;
}

/** How the server reads and writes datagrams: `--io auto|batch|dgram`. */
export type IoChoice = 'auto' | 'batch' | 'dgram';
/** The I/O path in use. */
export type IoMode = 'batch' | 'dgram';
/** The accepted `--io` values. */
export const IO_CHOICES: readonly IoChoice[] = ['auto', 'batch', 'dgram'];

/** Datagrams read per recvmmsg. */
export const BATCH_SLOTS = 64;
/**
 * Longest UDP query read, on both paths: a longer datagram is dropped and counted (no DNS query
 * needs more; the batch path's receive slots are this size).
 */
export const MAX_UDP_QUERY = 4096;
/** Bytes per receive slot. */
export const BATCH_SLOT_SIZE = MAX_UDP_QUERY;
/** Bytes of replies per sendmmsg; a batch whose replies exceed it is sent in parts. */
const TX_BYTES = 256 * 1024;
const META_INTS = 8;

/** The I/O path chosen for a server, and why (when it is not the one asked for). */
export interface IoDecision {
  mode: IoMode;
  /** Why `auto` fell back to `dgram` (the addon is missing, or not Linux). */
  reason?: string;
}

/** Thrown for `--io batch` where the addon cannot be used. */
export class IoUnavailableError extends Error {
  override readonly name = 'IoUnavailableError';
  readonly code = 'E_IO_UNAVAILABLE';
}

function addon(): { ok: true; addon: UdpAddon } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `recvmmsg/sendmmsg batching is Linux only (this is ${process.platform})` };
  return loadAddon<UdpAddon>('anypick_udp');
}

/**
 * Resolves `--io`: `auto` takes the batch path when the addon loads; `batch` without it throws
 * IoUnavailableError. `load` is the addon loader (tests pass a missing one).
 */
export function udpIo(choice: IoChoice, load: () => { ok: true } | { ok: false; reason: string } = addon): IoDecision {
  if (choice === 'dgram') return { mode: 'dgram' };
  const a = load();
  if (a.ok) return { mode: 'batch' };
  if (choice === 'batch') throw new IoUnavailableError(`--io batch: ${a.reason}`);
  return { mode: 'dgram', reason: a.reason };
}

/** A bound batched UDP socket. */
export interface BatchSocket {
  readonly port: number;
  /** [wake-ups, recvmmsg batches, datagrams, replies sent, send errors, oversized datagrams]. */
  stats(): number[];
  close(): void;
}

/**
 * The JavaScript half of a batch: the receive ring (datagram i at i * BATCH_SLOT_SIZE, its
 * length, family, port and address in `meta`), the send buffer and its (offset, length, query
 * index) triples, and the loop that answers a batch through the engine. No sockets: the addon
 * fills the ring and sends what `answer` wrote (bench/gslb/engine.ts drives it in-process).
 */
export class BatchAnswerer {
  readonly rx = Buffer.allocUnsafeSlow(BATCH_SLOTS * BATCH_SLOT_SIZE);
  readonly rxMeta = Buffer.alloc(BATCH_SLOTS * META_INTS * 4);
  readonly tx = Buffer.allocUnsafeSlow(TX_BYTES);
  readonly txMeta = Buffer.alloc(BATCH_SLOTS * 3 * 4);
  private readonly meta = new Int32Array(this.rxMeta.buffer, this.rxMeta.byteOffset, BATCH_SLOTS * META_INTS);
  private readonly txInts = new Int32Array(this.txMeta.buffer, this.txMeta.byteOffset, BATCH_SLOTS * 3);
  private readonly peer6 = new Uint8Array(16);
  /** One context reused per datagram; the last peer's text is kept, so a batch from one resolver formats its address once. */
  private readonly ctx: QueryContext = { tcp: false, address: '', family: 4 };
  private lastKey = -1;
  /** With an observer: the exchange reported for each datagram (reused). */
  private readonly seen?: DnsExchange;

  /**
   * `send(replies)` hands the first `replies` triples of txMeta to the kernel; `observer`
   * (with the socket's own address and port) sees every query and its reply.
   */
  constructor(
    private readonly engine: DnsEngine,
    private readonly send: (replies: number) => void,
    private readonly observer?: DnsObserver,
    local?: { address: Uint8Array; port: number },
  ) {
    if (observer) this.seen = { query: this.rx, reply: undefined, tcp: false, family: 4, clientAddress: this.rx, clientPort: 0, serverAddress: local?.address ?? new Uint8Array(0), serverPort: local?.port ?? 0, receivedMs: 0, repliedMs: 0 };
  }

  /** Answers the `count` datagrams in the ring and sends the replies (one send per TX_BYTES of them). */
  answer(count: number): void {
    const { engine, meta, rxMeta, rx, tx, txInts, ctx, peer6, seen } = this;
    let replies = 0;
    let used = 0;
    // One read time for the batch: recvmmsg returned them together.
    if (seen) seen.receivedMs = wallClockMs();
    for (let i = 0; i < count; i++) {
      const m = i * META_INTS;
      const len = meta[m];
      if (meta[m + 3] !== 0) {
        // Longer than a receive slot: cut short by the kernel, so not a message we can read.
        engine.counters.udp++;
        engine.counters.dropped++;
        continue;
      }
      const at = (m + 4) * 4;
      if (meta[m + 1] === 4) {
        const key = ((rxMeta[at] << 24) | (rxMeta[at + 1] << 16) | (rxMeta[at + 2] << 8) | rxMeta[at + 3]) >>> 0;
        if (key !== this.lastKey || ctx.family !== 4) {
          ctx.address = `${rxMeta[at]}.${rxMeta[at + 1]}.${rxMeta[at + 2]}.${rxMeta[at + 3]}`;
          this.lastKey = key;
        }
        ctx.family = 4;
      } else {
        let same = ctx.family === 6;
        for (let b = 0; b < 16; b++) {
          if (peer6[b] !== rxMeta[at + b]) same = false;
          peer6[b] = rxMeta[at + b];
        }
        if (!same) ctx.address = formatAddress(peer6);
        ctx.family = 6;
        this.lastKey = -1;
      }
      // Room for the largest reply before answering: replies are written straight into tx.
      if (TX_BYTES - used < MAX_MESSAGE) {
        this.send(replies);
        replies = 0;
        used = 0;
      }
      const start = i * BATCH_SLOT_SIZE;
      const t0 = process.hrtime.bigint();
      const n = engine.answerAt(rx, start, start + len, ctx, tx, used);
      engine.latency.since(t0);
      if (seen && this.observer!.take(n > 0)) this.report(seen, start, len, at, meta[m + 1] === 4 ? 4 : 6, meta[m + 2], used, n);
      if (n === 0) continue;
      const t = replies * 3;
      txInts[t] = used;
      txInts[t + 1] = n;
      txInts[t + 2] = i;
      used += n;
      replies++;
    }
    if (replies > 0) this.send(replies);
  }

  /** Hands datagram `i`'s query (at `start`, `len` octets) and its reply (`n` octets at tx[used]) to the observer. */
  private report(e: DnsExchange, start: number, len: number, at: number, family: 4 | 6, port: number, used: number, n: number): void {
    e.query = this.rx.subarray(start, start + len);
    e.reply = n > 0 ? this.tx.subarray(used, used + n) : undefined;
    e.family = family;
    e.clientAddress = this.rxMeta.subarray(at, at + (family === 4 ? 4 : 16));
    e.clientPort = port;
    e.repliedMs = wallClockMs();
    this.observer!.exchange(e);
  }
}

/**
 * Binds `host:port` (SO_REUSEPORT when `reusePort`, so each worker process has a socket of its
 * own and the kernel spreads the clients) and answers through `engine`. Throws the addon's
 * Error (code EADDRINUSE, EACCES, …) when the address cannot be bound.
 */
export function bindBatchUdp(engine: DnsEngine, host: string, port: number, reusePort: boolean, observer?: DnsObserver): BatchSocket {
  const a = addon();
  if (!a.ok) throw new IoUnavailableError(a.reason);
  const udp = a.addon;
  const v6 = isIPv6(host);
  const fd = udp.open(v6 ? 6 : 4, parseAddress(host), port, reusePort);
  let handle: object;
  let bound: number;
  let batch: BatchAnswerer;
  try {
    bound = udp.localPort(fd);
    batch = new BatchAnswerer(engine, (replies) => udp.send(handle, replies), observer, { address: parseAddress(host), port: bound });
    handle = udp.create(fd, batch.rx, batch.rxMeta, batch.tx, batch.txMeta, BATCH_SLOTS, BATCH_SLOT_SIZE, (count: number) => batch.answer(count));
  } catch (err) {
    udp.closeFd(fd);
    throw err;
  }
  let closed = false;
  return {
    port: bound,
    stats: () => (closed ? [] : udp.stats(handle)),
    close: () => {
      if (closed) return;
      closed = true;
      udp.close(handle);
    },
  };
}
