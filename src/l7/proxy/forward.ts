/** One forwarded attempt over an undici pool, classified for retries and passive health. */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Readable, Writable } from 'node:stream';
import type { AttemptOutcome } from './outlier';
import type { ProxyOptions } from './options';

/** How an attempt ended before a response head arrived. */
export interface AttemptError {
  outcome: AttemptOutcome;
  /** 502 or 504 for the client. */
  status: 502 | 504;
  /** True when nothing reached the member (safe to retry any method with a replayable body). */
  beforeSend: boolean;
  /** True when the request was refused locally (not the member's fault: no passive-health record). */
  local?: boolean;
  message: string;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Classifies an undici error. */
export function classify(err: unknown): AttemptError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (CONNECT_CODES.has(code)) return { outcome: 'connect-failure', status: code === 'UND_ERR_CONNECT_TIMEOUT' ? 504 : 502, beforeSend: true, message: `cannot connect (${code})` };
  if (code === 'UND_ERR_INVALID_ARG') return { outcome: 'failure', status: 502, beforeSend: true, local: true, message: `request not forwardable (${e.message ?? code})` };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { outcome: 'failure', status: 504, beforeSend: false, message: 'no response head in time' };
  return { outcome: 'failure', status: 502, beforeSend: false, message: `upstream error (${code || e.message || 'unknown'})` };
}

/** One forwarded exchange as an undici dispatch handler. */
class Exchange implements Dispatcher.DispatchHandler {
  headSeen = false;
  private out?: Writable;
  private ctl?: Dispatcher.DispatchController;
  private settled = false;

  constructor(
    private readonly onHead: (status: number, headers: Record<string, string | string[] | undefined>) => Writable,
    private readonly resolve: (r: (AttemptError & { headSeen: boolean }) | undefined) => void,
  ) {}

  private settle(r: (AttemptError & { headSeen: boolean }) | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.out?.off('close', this.onOutClose);
    this.resolve(r);
  }

  /** The body's destination closed before the response ended: stop reading the member. */
  private readonly onOutClose = (): void => {
    if (!this.settled) this.ctl?.abort(new Error('response destination closed'));
  };

  private readonly onDrain = (): void => this.ctl?.resume();

  onRequestStart(ctl: Dispatcher.DispatchController): void {
    this.ctl = ctl;
  }

  onResponseStart(ctl: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx informational answers (RFC 9110 §15.2) are this hop's business.
    if (status < 200 || this.out) return;
    this.ctl = ctl;
    this.headSeen = true;
    const out = this.onHead(status, headers);
    this.out = out;
    // Already gone (the client left while the member was thinking): nothing to stream to.
    if (out.destroyed) return void ctl.abort(new Error('response destination closed'));
    out.once('close', this.onOutClose);
    out.on('drain', this.onDrain);
  }

  onResponseData(ctl: Dispatcher.DispatchController, chunk: Buffer): void {
    const out = this.out;
    if (!out) return;
    if (out.destroyed) ctl.abort(new Error('response destination closed'));
    else if (!out.write(chunk)) ctl.pause();
  }

  onResponseEnd(): void {
    const out = this.out;
    if (out) {
      out.off('drain', this.onDrain);
      out.end();
    }
    this.settle(undefined);
  }

  onResponseError(_ctl: Dispatcher.DispatchController | undefined, err: Error): void {
    const out = this.out;
    this.settle({ ...classify(err), headSeen: this.headSeen });
    if (out) {
      out.off('drain', this.onDrain);
      // The caller learns of the failure from the result; no 'error' event for a writable nobody listens to.
      if (!out.destroyed) out.destroy();
    }
  }
}

/** undici pools per upstream origin, created on first use. */
export class Pools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly o: ProxyOptions) {}

  /** The pool of `origin` (`http://host:port`). */
  get(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connect: { timeout: this.o.connectTimeoutMs },
        headersTimeout: this.o.upstreamHeadersTimeoutMs,
        bodyTimeout: this.o.upstreamBodyTimeoutMs,
        connections: this.o.upstreamConnections,
        keepAliveTimeout: 4_000,
        pipelining: 1,
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  /**
   * Sends one request through the pool's dispatcher: `onHead` sees the response head and
   * returns where the body goes (written with backpressure; the member's response is aborted
   * when that writable closes early, e.g. the client went away). Resolves with undefined when
   * the exchange completed, or an AttemptError (check `headSeen` to know whether it failed
   * before or after the head). One handler object per request and no stream plumbing: this is
   * the proxy's per-request path.
   */
  stream(
    origin: string,
    opts: { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer | Readable | null },
    onHead: (status: number, headers: Record<string, string | string[] | undefined>) => Writable,
  ): Promise<(AttemptError & { headSeen: boolean }) | undefined> {
    return new Promise((resolve) => {
      const ex = new Exchange(onHead, resolve);
      try {
        this.get(origin).dispatch({ method: opts.method as Dispatcher.HttpMethod, path: opts.path, headers: opts.headers, body: opts.body ?? null }, ex);
      } catch (err) {
        ex.onResponseError(undefined, err as Error);
      }
    });
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
