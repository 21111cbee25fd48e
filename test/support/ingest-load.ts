/**
 * Load that a member token holder can put on a signals receiver, and a UDP DNS sampler to see
 * what it does to DNS: used by test/signals/hostile-ingest.test.ts and `npm run bench:ingest`.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import * as packet from 'dns-packet';

/** Latency figures of a sample, ms; lost queries are counted apart. */
export interface SampleStats {
  sent: number;
  answered: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max of `xs` (ms). */
export function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p99: q(0.99), max: s[s.length - 1]! };
}

/**
 * Sends `name` AAAA to 127.0.0.1:`port` every `everyMs`, each with its own id, and records the
 * time to each answer. A query unanswered after `timeoutMs` is lost.
 */
export class DnsSampler {
  private readonly sock = createSocket('udp4');
  private readonly pending = new Map<number, number>();
  private readonly times: number[] = [];
  private timer?: NodeJS.Timeout;
  private id = 0;
  private sent = 0;
  private lost = 0;
  /** Answers seen (sorted AAAA lists), by how often. */
  readonly answers = new Map<string, number>();

  constructor(private readonly port: number, private readonly name = 'example.com', private readonly everyMs = 10, private readonly timeoutMs = 1000) {
    this.sock.on('message', (msg) => {
      const p = packet.decode(msg);
      const t0 = this.pending.get(p.id ?? -1);
      if (t0 === undefined) return;
      this.pending.delete(p.id!);
      this.times.push(performance.now() - t0);
      const a = (p.answers ?? []).filter((r) => r.type === 'AAAA').map((r) => String((r as { data: unknown }).data)).sort().join(' ');
      this.answers.set(a, (this.answers.get(a) ?? 0) + 1);
    });
  }

  /** Starts sampling (clears earlier figures). */
  start(): void {
    this.times.length = 0;
    this.answers.clear();
    this.sent = 0;
    this.lost = 0;
    this.timer = setInterval(() => this.ask(), this.everyMs);
  }

  private ask(): void {
    const now = performance.now();
    for (const [id, t0] of this.pending) {
      if (now - t0 > this.timeoutMs) {
        this.pending.delete(id);
        this.lost++;
      }
    }
    this.id = (this.id + 1) & 0xffff;
    this.pending.set(this.id, now);
    this.sent++;
    this.sock.send(packet.encode({ type: 'query', id: this.id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: this.name, class: 'IN' }] }), this.port, '127.0.0.1');
  }

  /** Stops sampling, waits for answers in flight, and returns the figures. */
  async stop(): Promise<SampleStats> {
    clearInterval(this.timer);
    const end = performance.now() + this.timeoutMs;
    while (this.pending.size > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    this.lost += this.pending.size;
    this.pending.clear();
    return { sent: this.sent, answered: this.times.length, lost: this.lost, ...percentiles(this.times) };
  }

  close(): void {
    clearInterval(this.timer);
    this.sock.close();
  }
}

/**
 * Opens `n` POSTs with `token` whose bodies never finish: headers announce 1,000 bytes, then a
 * byte trickles in every `trickleMs`. Resolves the status line each got (or 'closed').
 */
export function slowBodies(port: number, token: string, n: number, trickleMs = 500): { done: Promise<string[]>; close(): void } {
  const socks: Socket[] = [];
  const results: Array<Promise<string>> = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, '127.0.0.1');
    socks.push(s);
    results.push(new Promise((resolve) => {
      let reply = '';
      let trickle: NodeJS.Timeout | undefined;
      s.on('connect', () => {
        s.write(`POST /v1/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\ncontent-length: 1000\r\n\r\n{`);
        trickle = setInterval(() => { if (s.writable) s.write(' '); }, trickleMs);
      });
      s.on('data', (d) => { reply += d.toString(); });
      s.on('error', () => undefined);
      s.on('close', () => {
        clearInterval(trickle);
        resolve(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 'closed');
      });
    }));
  }
  return { done: Promise.all(results), close: () => { for (const s of socks) s.destroy(); } };
}
