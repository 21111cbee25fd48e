/**
 * The L7 reverse proxy shared by the service pick and the cluster pick: an HTTP/1.1 server
 * (node:http) that admits a request, picks an upstream through its route, forwards with undici,
 * retries what is safe to retry on another member, and feeds passive health. Every refusal and
 * gateway error is an RFC 9457 problem.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import type { AdmissionRequest, Admitted } from '../admission/admission';
import { ProblemError, sendProblem } from '../problem';
import { LimitedBody, readBody } from './body';
import { Pools } from './forward';
import { TrustedProxies, addForwarded, clientAddress, endToEnd } from './headers';
import { DEFAULT_PROXY_OPTIONS, IDEMPOTENT } from './options';
import type { ProxyOptions } from './options';
import type { AttemptOutcome } from './outlier';
import type { Logger } from '../../util/log';

/** An upstream the route picked. */
export interface Upstream {
  /** Stable key for exclusion and passive health (e.g. `service-with-gpu/gpu-1`). */
  key: string;
  /** `http://host:port`. */
  origin: string;
}

/** What a tier plugs into the proxy. */
export interface ProxyRoute {
  /** Admission of the request head; throws ProblemError. */
  admit(req: AdmissionRequest): Admitted;
  /** Picks an upstream for `client`, avoiding `exclude`; a string says why none is available. */
  pick(client: string, exclude: ReadonlySet<string>): Upstream | string;
  /** Passive health input. */
  record(upstream: Upstream, outcome: AttemptOutcome): void;
}

/** Counters for status and tests. */
export interface ProxyStats {
  requests: number;
  rejected: number;
  forwarded: number;
  retries: number;
  gatewayErrors: number;
  clientErrors: number;
}

function hostParts(host: string | undefined): { host: string; port?: number } | undefined {
  if (!host) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, '').toLowerCase(), port: m[2] ? Number(m[2]) : undefined };
}

/**
 * RFC 9112 §3.2: origin-form (`/path?query`) or absolute-form. Dot segments and encoded dots
 * or backslashes are normalised through WHATWG URL parsing (RFC 3986 §5.2.4), so admission and
 * the member see the same path; the plain common case skips the parser.
 */
function requestTarget(target: string): { pathname: string; search: string; searchParams: URLSearchParams } {
  if (target.startsWith('/') && !/\/\.|%2e|%2f|%5c|\\|#/i.test(target)) {
    const q = target.indexOf('?');
    const search = q < 0 ? '' : target.slice(q);
    return { pathname: q < 0 ? target : target.slice(0, q), search, searchParams: new URLSearchParams(search) };
  }
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) throw new ProblemError(400, 'E_TARGET', 'invalid request target');
  try {
    const u = new URL(target, 'http://placeholder');
    return { pathname: u.pathname, search: u.search, searchParams: u.searchParams };
  } catch {
    throw new ProblemError(400, 'E_TARGET', 'invalid request target');
  }
}

function clientErrorStatus(code: string | undefined): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'request head exceeds the header size limit'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'request not received in time'];
  return [400, `malformed HTTP request (${code ?? 'parse error'})`];
}

/** Swallows the body of an upstream answer that will be retried elsewhere. */
class Discard extends Writable {
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

/** A running L7 proxy. */
export class L7Proxy {
  readonly server: Server;
  readonly stats: ProxyStats = { requests: 0, rejected: 0, forwarded: 0, retries: 0, gatewayErrors: 0, clientErrors: 0 };
  private readonly o: ProxyOptions;
  private readonly pools: Pools;
  private readonly trusted: TrustedProxies;
  private readonly sockets = new Set<Socket>();
  private readonly trustedSockets = new WeakMap<Socket, boolean>();

  constructor(
    private route: ProxyRoute,
    opts: Partial<ProxyOptions> = {},
    private readonly log?: Logger,
  ) {
    this.o = { ...DEFAULT_PROXY_OPTIONS, ...opts };
    this.trusted = new TrustedProxies(this.o.trustedProxies);
    this.pools = new Pools(this.o);
    this.server = createServer({
      maxHeaderSize: this.o.maxHeaderBytes,
      headersTimeout: this.o.headersTimeoutMs,
      requestTimeout: this.o.requestTimeoutMs,
      keepAliveTimeout: this.o.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, this.o.headersTimeoutMs),
      // Checked in handle() so the 400 carries a problem body.
      requireHostHeader: false,
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log?.error({ err }, 'proxy: unexpected error');
        sendProblem(res, new ProblemError(500, 'E_INTERNAL', 'internal error in the proxy'), true);
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.stats.clientErrors++;
      if (!socket.writable || (err.code === 'ECONNRESET')) return void socket.destroy();
      const [status, detail] = clientErrorStatus(err.code);
      const body = JSON.stringify(new ProblemError(status, `E_HTTP_${status}`, detail).toProblem()) + '\n';
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  }

  /** Listens on `host:port` (port 0 = any free port); resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** Swaps in a new route (a reload); requests already under way finish on the one they started with. */
  setRoute(route: ProxyRoute): void {
    this.route = route;
  }

  /** Stops listening, closes client connections and upstream pools. */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
    await this.pools.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const peer = req.socket.remoteAddress ?? '';
    // The peer of a connection does not change: judge it once per socket.
    let trustedPeer = this.trustedSockets.get(req.socket);
    if (trustedPeer === undefined) {
      trustedPeer = this.trusted.has(peer);
      this.trustedSockets.set(req.socket, trustedPeer);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      // RFC 9112 §3.2: a request without exactly one Host is a 400.
      const hp = hostParts(req.headers.host);
      if (!hp) throw new ProblemError(400, 'E_HOST', 'missing or invalid Host header');
      const url = requestTarget(req.url ?? '');
      const xfp = req.headers['x-forwarded-proto'];
      const scheme = trustedPeer && typeof xfp === 'string' && /^https?$/i.test(xfp) ? xfp.toLowerCase() : this.o.scheme;
      // A reload may swap the route: one request keeps the route it started with.
      const route = this.route;
      const admitted = route.admit({ method, scheme, host: hp.host, port: hp.port, path: url.pathname, query: url.searchParams, headers: req.headers });
      const len = req.headers['content-length'];
      if (len !== undefined && Number(len) > this.o.maxBodyBytes) throw new ProblemError(413, 'E_BODY_TOO_LARGE', `request body of ${len} bytes exceeds ${this.o.maxBodyBytes}`, {});
      const hasBody = req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
      let body: Buffer | null = null;
      let streamed = false;
      const small = len !== undefined && Number(len) <= this.o.replayBufferBytes;
      if (hasBody && (admitted.body || (IDEMPOTENT.has(method) && small))) {
        body = await readBody(req, admitted.body ? this.o.maxBodyBytes : this.o.replayBufferBytes, this.o.bodyIdleTimeoutMs);
        admitted.body?.validate(body);
      } else if (hasBody) streamed = true;
      const headers = endToEnd(req.headers);
      addForwarded(headers, peer, scheme, req.headers.host, trustedPeer);
      if (body) headers['content-length'] = String(body.length);
      await this.forward(route, req, res, method, url.pathname + url.search, headers, body, streamed, clientAddress(peer, req.headers, this.trusted));
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      if (err.status < 500) this.stats.rejected++;
      else this.stats.gatewayErrors++;
      // A refused request whose body was not read: close so the unread body cannot be parsed as a request.
      sendProblem(res, err, !req.complete);
    }
  }

  private async forward(route: ProxyRoute, req: IncomingMessage, res: ServerResponse, method: string, path: string, headers: Record<string, string | string[]>, body: Buffer | null, streamed: boolean, client: string): Promise<void> {
    const tried = new Set<string>();
    let last: ProblemError | undefined;
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      const up = route.pick(client, tried);
      if (typeof up === 'string') {
        throw last ?? new ProblemError(503, 'E_NO_MEMBER', `no member available: ${up}`, { headers: { 'retry-after': '1' } });
      }
      if (attempt > 0) this.stats.retries++;
      tried.add(up.key);
      let upBody: Buffer | Readable | null = body;
      let limited: LimitedBody | undefined;
      if (streamed) {
        const body = (limited = new LimitedBody(this.o.maxBodyBytes));
        req.pipe(body);
        // A client that goes away mid-upload ends the upstream request at once.
        req.once('close', () => {
          if (!req.complete) body.destroy(new Error('client aborted the request body'));
        });
        upBody = body;
      }
      let retry = false;
      let answered = 0;
      const e = await this.pools.stream(up.origin, { method, path, headers, body: upBody }, (status, rh) => {
        answered = status;
        // Success counts once the whole response went through (below); a 5xx counts now.
        if (status >= 500) route.record(up, 'failure');
        if ((status === 502 || status === 503 || status === 504) && !streamed && IDEMPOTENT.has(method) && attempt < this.o.retries) {
          retry = true;
          last = new ProblemError(502, 'E_UPSTREAM_STATUS', `member ${up.key} answered ${status}`);
          return new Discard();
        }
        res.writeHead(status, endToEnd(rh));
        return res;
      });
      if (e?.headSeen) {
        if (retry) continue;
        // The client went away: not the member's fault, so passive health does not see it.
        const clientGone = res.destroyed || req.socket.destroyed;
        // Upstream body failed mid-way (idle timeout, reset): the response is already started,
        // so the only honest signal left is an aborted message.
        if (!clientGone) route.record(up, 'failure');
        this.log?.debug({ member: up.key, clientGone, error: e.message }, 'response aborted');
        res.destroy();
        return;
      }
      if (e) {
        // The client's body outgrew the limit: the client's fault, not the member's.
        if (limited && limited.bytes > this.o.maxBodyBytes) throw new ProblemError(413, 'E_BODY_TOO_LARGE', `request body exceeds ${this.o.maxBodyBytes} bytes`);
        if (streamed && !req.complete && req.destroyed) {
          // The client aborted its upload: nobody to answer, and not the member's fault.
          res.destroy();
          return;
        }
        if (!e.local) route.record(up, e.outcome);
        this.log?.debug({ member: up.key, outcome: e.outcome, error: e.message }, 'upstream attempt failed');
        last = new ProblemError(e.status, e.status === 504 ? 'E_UPSTREAM_TIMEOUT' : 'E_UPSTREAM', `member ${up.key}: ${e.message}`);
        const canRetry = !streamed && (IDEMPOTENT.has(method) || e.beforeSend);
        if (!canRetry) {
          if (streamed) throw new ProblemError(502, 'E_NOT_REPLAYABLE', `member ${up.key}: ${e.message}; the request body was streamed and cannot be replayed, so it was not retried`);
          throw last;
        }
        continue;
      }
      if (retry) continue;
      if (answered < 500) route.record(up, 'success');
      this.stats.forwarded++;
      return;
    }
    throw last ?? new ProblemError(502, 'E_UPSTREAM', 'no attempt succeeded');
  }
}
