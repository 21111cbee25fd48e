/**
 * The L7 reverse proxy shared by the service pick and the cluster pick: a front that accepts
 * HTTP/1.1 and HTTP/2 (h2c in clear, ALPN h2 with TLS; src/l7/proxy/front.ts), admits a
 * request, picks an upstream through its route, forwards with undici (HTTP/2 to the member for
 * gRPC), passes Upgrade requests (WebSocket) through, retries what is safe to retry on another
 * member, and feeds passive health. Every refusal and gateway error is an RFC 9457 problem.
 */
import { ServerResponse } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import type { AdmissionRequest, Admitted } from '../admission/admission';
import { ProblemError, rawProblemResponse, sendProblem } from '../problem';
import { LimitedBody, readBody } from './body';
import { Pools } from './forward';
import { createFront } from './front';
import type { Front } from './front';
import { H2Sessions, isGrpc } from './h2-upstream';
import { TrustedProxies, addForwarded, clientAddress, endToEnd } from './headers';
import { DEFAULT_PROXY_OPTIONS, IDEMPOTENT } from './options';
import type { ProxyOptions } from './options';
import type { AttemptOutcome } from './outlier';
import { connectUpstream, requestHead, splice } from './tunnel';
import type { TunnelStats } from './tunnel';
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
export interface ProxyStats extends TunnelStats {
  requests: number;
  rejected: number;
  forwarded: number;
  retries: number;
  gatewayErrors: number;
  clientErrors: number;
  /** Requests that arrived over HTTP/2 (h2 or h2c). */
  http2: number;
  /** gRPC requests forwarded to members over HTTP/2. */
  grpc: number;
  /** Requests that arrived over TLS terminated here. */
  tls: number;
}

/** A request of either protocol (node's HTTP/2 compatibility API mirrors node:http). */
type AnyRequest = IncomingMessage | Http2ServerRequest;

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
function requestTarget(target: string): { pathname: string; search: string } {
  if (target.startsWith('/') && !/\/\.|%2e|%2f|%5c|\\|#/i.test(target)) {
    const q = target.indexOf('?');
    const search = q < 0 ? '' : target.slice(q);
    return { pathname: q < 0 ? target : target.slice(0, q), search };
  }
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) throw new ProblemError(400, 'E_TARGET', 'invalid request target');
  try {
    const u = new URL(target, 'http://placeholder');
    return { pathname: u.pathname, search: u.search };
  } catch {
    throw new ProblemError(400, 'E_TARGET', 'invalid request target');
  }
}

/** Upgrade tokens handled as plain requests: `h2c` (RFC 9113 §3.1 deprecates the upgrade). */
const PLAIN_UPGRADES = new Set(['h2c']);

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
  readonly stats: ProxyStats = { requests: 0, rejected: 0, forwarded: 0, retries: 0, gatewayErrors: 0, clientErrors: 0, http2: 0, grpc: 0, tls: 0, upgrades: 0, tunnels: 0, tunnelsOpen: 0, tunnelIdleClosed: 0 };
  private readonly o: ProxyOptions;
  private readonly pools: Pools;
  private readonly h2Pools: H2Sessions;
  private readonly front: Front;
  private readonly tunnels = new Set<Duplex>();
  private readonly trusted: TrustedProxies;
  private readonly sockets = new Set<Socket>();
  private readonly trustedSockets = new WeakMap<Socket, boolean>();
  /** Client connections already handed to `measure` (once each, after their first response). */
  private readonly measured = new WeakSet<Socket>();
  private measure?: (peer: Socket) => void;

  constructor(
    private route: ProxyRoute,
    opts: Partial<ProxyOptions> = {},
    private readonly log?: Logger,
  ) {
    this.o = { ...DEFAULT_PROXY_OPTIONS, ...opts };
    this.trusted = new TrustedProxies(this.o.trustedProxies);
    this.pools = new Pools(this.o);
    this.h2Pools = new H2Sessions(this.o);
    this.front = createFront({ ...this.o, tls: this.o.tls }, {
      request: (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.log?.error({ err }, 'proxy: unexpected error');
          sendProblem(res as ServerResponse, new ProblemError(500, 'E_INTERNAL', 'internal error in the proxy'), true);
        });
      },
      upgrade: (req, socket, head) => {
        this.upgrade(req, socket, head).catch((err: unknown) => {
          this.log?.error({ err }, 'proxy: unexpected error in an upgrade');
          socket.destroy();
        });
      },
      clientError: (err, socket) => {
        this.stats.clientErrors++;
        if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
        const [status, detail] = clientErrorStatus(err.code);
        socket.end(rawProblemResponse(new ProblemError(status, `E_HTTP_${status}`, detail)));
      },
    });
    this.server = this.front.server;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /**
   * Calls `fn` once per client connection (HTTP/1.1, or the HTTP/2 session's), when the first
   * response on it has been sent: by then the kernel has timed the handshake and that exchange,
   * which is what `anypick proxy --report-client-rtt` reads. Connections from trusted proxies
   * (`--trusted-proxy`) are not clients and are skipped.
   */
  measureClients(fn: (peer: Socket) => void): void {
    this.measure = fn;
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
    for (const s of this.tunnels) s.destroy();
    await closed;
    this.h2Pools.close();
    await this.pools.close();
  }

  /** Admission of a request head (both protocols and upgrades); throws ProblemError. */
  private head(req: AnyRequest) {
    const sock = this.front.peer(req);
    const peer = sock.remoteAddress ?? '';
    // The peer of a connection does not change: judge it once per socket.
    let trustedPeer = this.trustedSockets.get(sock);
    if (trustedPeer === undefined) {
      trustedPeer = this.trusted.has(peer);
      this.trustedSockets.set(sock, trustedPeer);
    }
    const h2 = req.httpVersionMajor === 2;
    const encrypted = (sock as { encrypted?: boolean }).encrypted === true;
    if (h2) this.stats.http2++;
    if (encrypted) this.stats.tls++;
    const method = (req.method ?? 'GET').toUpperCase();
    // RFC 9113 §8.3.1: HTTP/2 carries the host in :authority; RFC 9112 §3.2: HTTP/1.1 needs one Host.
    const hostText = req.headers.host ?? (h2 ? (req.headers[':authority'] as string | undefined) : undefined);
    const hp = hostParts(hostText);
    if (!hp) throw new ProblemError(400, 'E_HOST', 'missing or invalid Host header');
    const url = requestTarget(req.url ?? '');
    const xfp = req.headers['x-forwarded-proto'];
    // TLS terminated here makes the scheme https; else a trusted proxy may say, else the configured one.
    const scheme = encrypted ? 'https' : trustedPeer && typeof xfp === 'string' && /^https?$/i.test(xfp) ? xfp.toLowerCase() : this.o.scheme;
    // RFC 9113 §8.1: an HTTP/2 request without END_STREAM on its head has a body, with or without content-length.
    const h2Body = h2 && !(req as Http2ServerRequest).stream.endAfterHeaders;
    const seen = h2Body && req.headers['content-length'] === undefined ? { ...req.headers, 'transfer-encoding': 'chunked' } : req.headers;
    // A reload may swap the route: one request keeps the route it started with.
    const route = this.route;
    // The query is parsed only when admission looks at it (a site schema with query parameters).
    let query: URLSearchParams | undefined;
    const admitted = route.admit({
      method,
      scheme,
      host: hp.host,
      port: hp.port,
      path: url.pathname,
      get query() {
        return (query ??= new URLSearchParams(url.search));
      },
      headers: seen,
    });
    const headers = endToEnd(req.headers);
    if (encrypted) delete headers['x-forwarded-proto'];
    if (h2) headers.host = hostText!;
    addForwarded(headers, peer, scheme, hostText, trustedPeer);
    return { peer, method, url, route, admitted, headers, h2, h2Body, hostText: hostText!, client: clientAddress(peer, req.headers, this.trusted, trustedPeer) };
  }

  private async handle(req0: AnyRequest, res0: ServerResponse | Http2ServerResponse): Promise<void> {
    // The HTTP/2 compatibility request and response offer what is used here of node:http's.
    const req = req0 as IncomingMessage;
    const res = res0 as ServerResponse;
    this.stats.requests++;
    if (this.measure) {
      const peer = this.front.peer(req0);
      if (!this.measured.has(peer)) {
        this.measured.add(peer);
        const fn = this.measure;
        // A trusted proxy in front is not a client: its round trip says nothing of theirs.
        res.once('finish', () => this.trustedSockets.get(peer) !== true && fn(peer));
      }
    }
    try {
      const { method, url, route, admitted, headers, h2, h2Body, hostText, client } = this.head(req0);
      if (h2 && isGrpc(req.headers['content-type'])) return await this.forwardGrpc(route, req0 as Http2ServerRequest, res0 as Http2ServerResponse, method, url.pathname + url.search, hostText, headers, client);
      const len = req.headers['content-length'];
      if (len !== undefined && Number(len) > this.o.maxBodyBytes) throw new ProblemError(413, 'E_BODY_TOO_LARGE', `request body of ${len} bytes exceeds ${this.o.maxBodyBytes}`, {});
      const hasBody = h2 ? h2Body : req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
      let body: Buffer | null = null;
      let streamed = false;
      const small = len !== undefined && Number(len) <= this.o.replayBufferBytes;
      if (hasBody && (admitted.body || (IDEMPOTENT.has(method) && small))) {
        body = await readBody(req, admitted.body ? this.o.maxBodyBytes : this.o.replayBufferBytes, this.o.bodyIdleTimeoutMs);
        admitted.body?.validate(body);
      } else if (hasBody) streamed = true;
      if (body) headers['content-length'] = String(body.length);
      await this.forward(route, req, res, method, url.pathname + url.search, headers, body, streamed, client);
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      if (err.status < 500) this.stats.rejected++;
      else this.stats.gatewayErrors++;
      // A refused request whose body was not read: close so the unread body cannot be parsed as a request.
      sendProblem(res, err, !req.complete);
    }
  }

  /** gRPC: HTTP/2 to the member, trailers passed back; the body streams, so no retry after sending. */
  private async forwardGrpc(route: ProxyRoute, req: Http2ServerRequest, res: Http2ServerResponse, method: string, path: string, authority: string, headers: Record<string, string | string[]>, client: string): Promise<void> {
    // RFC 9113 §8.2.2: TE may be sent over HTTP/2 with the value "trailers" only; gRPC requires it.
    if (String(req.headers.te ?? '').toLowerCase() === 'trailers') headers.te = 'trailers';
    const tried = new Set<string>();
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      const up = route.pick(client, tried);
      if (typeof up === 'string') throw new ProblemError(503, 'E_NO_MEMBER', `no member available: ${up}`, { headers: { 'retry-after': '1' } });
      if (attempt > 0) this.stats.retries++;
      tried.add(up.key);
      const e = await this.h2Pools.forward(up.origin, method, path, authority, headers, req, res as unknown as import('./h2-upstream').H2Sink);
      if (!e) {
        route.record(up, res.statusCode >= 500 ? 'failure' : 'success');
        this.stats.grpc++;
        this.stats.forwarded++;
        return;
      }
      if (!e.local) route.record(up, e.outcome);
      if (e.headSeen) return void res.stream.close();
      this.log?.debug({ member: up.key, outcome: e.outcome, error: e.message }, 'upstream HTTP/2 attempt failed');
      // Only a connection that never reached the member can be retried: the body is streamed.
      if (!e.beforeSend) throw new ProblemError(e.status, e.status === 504 ? 'E_UPSTREAM_TIMEOUT' : 'E_UPSTREAM', `member ${up.key}: ${e.message}`);
    }
    throw new ProblemError(502, 'E_UPSTREAM', 'no attempt succeeded');
  }

  /**
   * An HTTP/1.1 Upgrade request (WebSocket): admitted like any request, then passed to the
   * picked member on a connection of its own (src/l7/proxy/tunnel.ts). `Upgrade: h2c` is
   * answered as a plain HTTP/1.1 request.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, early: Buffer): Promise<void> {
    const token = String(req.headers.upgrade ?? '').split(',')[0].trim().toLowerCase();
    if (PLAIN_UPGRADES.has(token)) {
      // The parser has let go of the socket: answer this one request and close.
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as Socket);
      res.on('finish', () => res.detachSocket(socket as Socket));
      if (early.length) socket.unshift(early);
      return this.handle(req, res);
    }
    this.stats.requests++;
    this.stats.upgrades++;
    try {
      const { method, url, route, headers, client } = this.head(req);
      // RFC 9110 §7.8: Upgrade is hop-by-hop; this hop asks the member for the same protocol.
      headers.connection = 'upgrade';
      headers.upgrade = String(req.headers.upgrade);
      const path = url.pathname + url.search;
      const tried = new Set<string>();
      for (let attempt = 0; attempt <= this.o.retries; attempt++) {
        const up = route.pick(client, tried);
        if (typeof up === 'string') throw new ProblemError(503, 'E_NO_MEMBER', `no member available: ${up}`, { headers: { 'retry-after': '1' } });
        if (attempt > 0) this.stats.retries++;
        tried.add(up.key);
        let upstream: Socket;
        try {
          upstream = await connectUpstream(up.origin, this.o.connectTimeoutMs);
        } catch (err) {
          // Nothing reached the member: another one may take the upgrade.
          route.record(up, 'connect-failure');
          this.log?.debug({ member: up.key, error: (err as Error).message }, 'upgrade: cannot connect');
          continue;
        }
        if (socket.destroyed) return void upstream.destroy();
        this.tunnels.add(socket);
        socket.once('close', () => this.tunnels.delete(socket));
        splice(socket, upstream, requestHead(method, path, headers), early, { headMs: this.o.upstreamHeadersTimeoutMs, idleMs: this.o.tunnelIdleTimeoutMs, stats: this.stats }, (a) => {
          if ('error' in a || a.status >= 500) route.record(up, 'failure');
          else route.record(up, 'success');
          if ('status' in a) this.stats.forwarded++;
          else this.stats.gatewayErrors++;
        });
        return;
      }
      throw new ProblemError(502, 'E_UPSTREAM', 'no member accepted the connection');
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      if (err.status < 500) this.stats.rejected++;
      else this.stats.gatewayErrors++;
      if (socket.writable) socket.end(rawProblemResponse(err));
      else socket.destroy();
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
