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
   * Sends one request with undici's stream API: `onHead` sees the response head and returns
   * where the body goes. Resolves with undefined when the exchange completed, or an
   * AttemptError (check `headSeen` to know whether it failed before or after the head).
   */
  async stream(
    origin: string,
    opts: { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer | Readable | null },
    onHead: (status: number, headers: Record<string, string | string[] | undefined>) => Writable,
  ): Promise<(AttemptError & { headSeen: boolean }) | undefined> {
    let headSeen = false;
    try {
      await this.get(origin).stream(
        { method: opts.method as Dispatcher.HttpMethod, path: opts.path, headers: opts.headers, body: opts.body ?? null },
        ({ statusCode, headers }) => {
          headSeen = true;
          return onHead(statusCode, headers);
        },
      );
      return undefined;
    } catch (err) {
      return { ...classify(err), headSeen };
    }
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
