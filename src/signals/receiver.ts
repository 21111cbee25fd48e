import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import { parseHostPort } from '../util/host-port';
import type { Logger } from '../util/log';
import { ForeignMemberError, extractLogs, extractMetrics } from './extract';
import type { Extracted } from './extract';
import type { LatencyContext, LatencyRejectReason } from './latency-extract';
import type { LatencyBatch } from './latency-map';
import { DEFAULT_LIMITS, InFlight, RateLimiter } from './limits';
import type { IngestLimits } from './limits';
import type { ApplyResult } from './registry';
import { memberKey } from './signal';
import type { Signal } from './signal';
import { TlsCertificates } from '../util/tls';
import type { TlsFiles } from '../util/tls';
import { bearerToken } from './tokens';
import type { TokenStore } from './tokens';
import { decodeLogsJson, decodeMetricsJson } from './wire/otlp-json';
import { decodeLogsProto, decodeMetricsProto } from './wire/otlp-proto';
import { encodeExportResponse, encodeStatus } from './wire/proto-writer';
import { DecodeBudget, OtlpDecodeError, OtlpLimitError } from './wire/types';

/** Counts the receiver reports to anypick's own telemetry. */
export interface IngestObserver {
  ingest(signal: 'logs' | 'metrics', outcome: 'accepted' | 'rejected', n: number): void;
  refused(status: number): void;
  /** Records of `member` rejected for their own time ('stale' or 'future'). */
  timeRejected?(member: string, reason: 'stale' | 'future', n: number): void;
  /** `anypick.client.rtt` points refused, by reason. */
  latencyRejected?(reason: LatencyRejectReason, n: number): void;
}

/** Where accepted signals go: the member registry (or anything with its apply and lease). */
export interface SignalSink {
  apply(signals: readonly Signal[]): ApplyResult | void;
  readonly lease: number;
}

/** Options of startSignalsReceiver. */
export interface ReceiverOptions {
  /** `ADDR:PORT` or `[V6]:PORT` (port 0 = any free port). Default 127.0.0.1:4318. */
  listen?: string;
  registry: SignalSink;
  /** Looked up on every request, so `replaceWith` on it rotates tokens at once. */
  tokens: TokenStore;
  /** Serve HTTPS with these PEM files (reloaded by `reloadTls`). */
  tls?: TlsFiles;
  limits?: Partial<IngestLimits>;
  logger?: Logger;
  /** Member blocks from the delivery file (`tier/service/member` → ADDR/LEN). */
  blocks?: ReadonlyMap<string, readonly string[]>;
  /** Events older than this are rejected as stale; default the registry's lease. */
  maxAgeMs?: number;
  /** Events ahead of the receive time by more than this are rejected; default 1000 ms. */
  maxSkewMs?: number;
  observer?: IngestObserver;
  now?: () => number;
  /** Known datacenters (read on every request: update the set in place), prefixes and quota for client latency. */
  latency?: Omit<LatencyContext, 'now'>;
  /** Where checked client latency goes (the latency maps of the DNS side). */
  onLatency?: (batch: LatencyBatch) => void;
}

/** A running receiver. */
export interface SignalsReceiver {
  /** Bound address (port resolved when listen asked for 0). */
  address(): AddressInfo;
  /** True when it serves HTTPS. */
  readonly secure: boolean;
  /** Re-reads the TLS files; throws TlsLoadError and keeps the old ones when they are bad. */
  reloadTls(): void;
  close(): Promise<void>;
}


type Encoding = 'json' | 'proto';

// OTLP/HTTP spec "Failures": the body is a google.rpc.Status; gRPC codes by HTTP status.
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 408: 4, 413: 8, 415: 3, 429: 8, 503: 14 };

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, enc: Encoding, body: Uint8Array | object, headers: Record<string, string> = {}): void {
  const payload = body instanceof Uint8Array ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': enc === 'proto' ? 'application/x-protobuf' : 'application/json', 'content-length': payload.length, ...headers });
  res.end(payload);
}

function sendError(res: ServerResponse, enc: Encoding, err: HttpError): void {
  const code = GRPC_CODE[err.status] ?? 2;
  send(res, err.status, enc, enc === 'proto' ? encodeStatus(code, err.message) : { code, message: err.message }, err.headers);
}

/**
 * Reads a body within `timeoutMs`, gunzipping as it streams in: both the bytes on the wire and
 * the decompressed bytes are counted as they arrive, so neither a large body nor a small gzip
 * bomb is ever held beyond `limit` (413 at the first byte over).
 */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit}`, { connection: 'close' }));
  const ce = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (ce !== 'gzip' && ce !== 'identity') return Promise.reject(new HttpError(415, `unsupported Content-Encoding '${ce}' (gzip or identity)`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let done = false;
    const gunzip = ce === 'gzip' ? createGunzip() : undefined;
    const finish = (err: HttpError | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (gunzip) {
        gunzip.removeAllListeners('data');
        gunzip.on('error', () => undefined);
        if (err) gunzip.destroy();
      }
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const timer = setTimeout(() => finish(new HttpError(408, `body not received within ${timeoutMs} ms`, { connection: 'close' })), timeoutMs);
    const out = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(new HttpError(413, gunzip ? `decompressed body exceeds the limit of ${limit} bytes` : `body exceeds the limit of ${limit} bytes`, { connection: 'close' }));
      else chunks.push(chunk);
    };
    const onData = (chunk: Buffer): void => {
      raw += chunk.length;
      if (raw > limit) return finish(new HttpError(413, `body exceeds the limit of ${limit} bytes`, { connection: 'close' }));
      if (gunzip) gunzip.write(chunk);
      else out(chunk);
    };
    if (gunzip) {
      gunzip.on('data', out);
      gunzip.on('error', (err) => finish(new HttpError(400, `gzip body is corrupt: ${err.message}`, { connection: 'close' })));
      gunzip.on('end', () => finish(undefined));
    }
    req.on('data', onData);
    req.on('end', () => (gunzip ? gunzip.end() : finish(undefined)));
    req.on('error', (err) => finish(new HttpError(400, `request aborted: ${err.message}`)));
    req.on('close', () => { if (!req.complete) finish(new HttpError(400, 'request aborted')); });
  });
}

/** Logs time-window rejections at most once per member and reason every 10 s, with counts. */
class TimeRejectLog {
  private readonly last = new Map<string, { at: number; pending: number }>();

  constructor(private readonly logger: Logger | undefined, private readonly now: () => number) {}

  note(member: string, reason: 'stale' | 'future', n: number, message: string): void {
    const key = `${member} ${reason}`;
    const now = this.now();
    const e = this.last.get(key) ?? { at: -Infinity, pending: 0 };
    e.pending += n;
    if (now - e.at >= 10_000) {
      this.logger?.warn({ member, reason, rejected: e.pending }, `signals of ${member} rejected as ${reason}: ${message}`);
      e.at = now;
      e.pending = 0;
    }
    this.last.set(key, e);
  }
}

/**
 * Starts the OTLP/HTTP receiver: `POST /v1/logs` (presence, readiness, errors events) and
 * `POST /v1/metrics` (utilization gauge), JSON or protobuf, optionally gzip, bearer token
 * bound to a member, over HTTP or HTTPS (optionally mTLS). Responses follow the OTLP/HTTP spec
 * (docs/signals.md lists every code). Limits keep one token from hurting another: its own
 * in-flight cap, rate, and deadlines for headers and body.
 */
export async function startSignalsReceiver(opts: ReceiverOptions): Promise<SignalsReceiver> {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const rate = new RateLimiter(limits.ratePerToken, limits.burstPerToken, now);
  const inFlight = new InFlight(limits.maxInFlightPerToken, limits.maxInFlight);
  const blocks = opts.blocks ?? new Map<string, readonly string[]>();
  const timeLog = new TimeRejectLog(opts.logger, now);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const signal = path === '/v1/logs' ? 'logs' : path === '/v1/metrics' ? 'metrics' : undefined;
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const enc: Encoding = type === 'application/x-protobuf' ? 'proto' : 'json';
    let slot: string | undefined;
    try {
      if (!signal) throw new HttpError(404, `no such path ${path} (POST /v1/logs or /v1/metrics)`);
      if (req.method !== 'POST') throw new HttpError(405, 'only POST is allowed', { allow: 'POST' });
      if (type !== 'application/json' && type !== 'application/x-protobuf') {
        throw new HttpError(415, `unsupported Content-Type '${type}' (application/json or application/x-protobuf)`);
      }
      const token = bearerToken(req.headers.authorization);
      const binding = token === undefined ? undefined : opts.tokens.lookup(token);
      if (!binding) throw new HttpError(401, token === undefined ? 'missing bearer token' : 'invalid bearer token', { 'www-authenticate': 'Bearer realm="anypick"' });
      const wait = rate.take(token!);
      if (wait > 0) throw new HttpError(429, 'rate limit exceeded for this token', { 'retry-after': String(wait) });
      const got = inFlight.take(token!);
      if (got === 'key') throw new HttpError(429, `more than ${limits.maxInFlightPerToken} requests of this token in flight`, { 'retry-after': '1' });
      if (got === 'total') throw new HttpError(503, 'too many requests in flight', { 'retry-after': '1' });
      slot = token!;
      const body = await readBody(req, limits.maxBodyBytes, limits.bodyTimeoutMs);
      const ctx = { binding, blocks, now: now(), maxAgeMs: opts.maxAgeMs ?? opts.registry.lease, maxSkewMs: opts.maxSkewMs, latency: opts.latency };
      const budget = new DecodeBudget(limits.decode);
      let ex: Extracted;
      try {
        ex = signal === 'logs'
          ? extractLogs(enc === 'proto' ? decodeLogsProto(body, budget) : decodeLogsJson(body, budget), ctx)
          : extractMetrics(enc === 'proto' ? decodeMetricsProto(body, budget) : decodeMetricsJson(body, budget), ctx);
      } catch (err) {
        if (err instanceof OtlpLimitError) throw new HttpError(413, err.message);
        if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
        if (err instanceof ForeignMemberError) {
          if (err.latencyPoints > 0) opts.observer?.latencyRejected?.('wrong-token', err.latencyPoints);
          throw new HttpError(403, err.message);
        }
        throw err;
      }
      const applied = opts.registry.apply(ex.signals);
      if (ex.latency?.batch) opts.onLatency?.(ex.latency.batch);
      for (const [reason, n] of Object.entries(ex.latency?.rejected ?? {})) opts.observer?.latencyRejected?.(reason as LatencyRejectReason, n);
      if (applied && applied.refused > 0) {
        ex.accepted -= applied.refused;
        ex.rejected += applied.refused;
        if (applied.reason) ex.errors.push(applied.reason);
      }
      const member = memberKey(binding);
      for (const reason of ['stale', 'future'] as const) {
        if (ex[reason] === 0) continue;
        opts.observer?.timeRejected?.(member, reason, ex[reason]);
        timeLog.note(member, reason, ex[reason], ex.errors.find((e) => e.startsWith(reason)) ?? reason);
      }
      opts.observer?.ingest(signal, 'accepted', ex.accepted);
      if (ex.rejected > 0) {
        opts.observer?.ingest(signal, 'rejected', ex.rejected);
        opts.logger?.debug({ member, rejected: ex.rejected, errors: ex.errors }, 'signals partially rejected');
      }
      const msg = ex.errors.join('; ');
      const key = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
      if (enc === 'proto') send(res, 200, enc, encodeExportResponse(ex.rejected, ex.rejected > 0 ? msg : ''));
      else send(res, 200, enc, ex.rejected > 0 ? { partialSuccess: { [key]: String(ex.rejected), errorMessage: msg } } : {});
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal error');
      if (!(err instanceof HttpError)) opts.logger?.error({ err }, 'signals receiver failed on a request');
      opts.observer?.refused(e.status);
      const headers = { ...e.headers };
      delete headers.connection;
      if (e.headers.connection === 'close' || !req.complete) {
        // A body not (fully) read is not worth reading now (refused, too large, too slow, corrupt):
        // answer and close, so a refused request cannot hold the connection by trickling its body.
        // Lingering close: drain what is in flight for at most a second so the answer is not lost to a reset.
        res.shouldKeepAlive = false;
        req.resume();
        res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
      }
      if (!res.headersSent) sendError(res, enc, new HttpError(e.status, e.message, headers));
    } finally {
      if (slot !== undefined) inFlight.release(slot);
    }
  }

  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs + 1000,
    keepAliveTimeout: limits.keepAliveMs,
    // Node checks header/request deadlines on this period (default 30 s): make them mean what they say.
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const tlsFiles = opts.tls;
  const tls = tlsFiles ? TlsCertificates.load([tlsFiles], { clientCa: tlsFiles.clientCa, flag: '--signals-tls' }) : undefined;
  const server: Server | HttpsServer = tls ? createHttpsServer({ ...serverOptions, handshakeTimeout: limits.headersTimeoutMs, ...tls.serverOptions() }, listener) : createServer(serverOptions, listener);
  if (tls) tls.attach(server as HttpsServer);
  server.keepAliveTimeout = limits.keepAliveMs;
  server.maxConnections = limits.maxConnections;
  const { host, port } = parseHostPort(opts.listen ?? '127.0.0.1:4318', { listen: true, names: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  opts.logger?.info({ address: server.address(), tls: tlsFiles !== undefined, mtls: tlsFiles?.clientCa !== undefined }, 'OTLP signals receiver listening');
  return {
    address: () => server.address() as AddressInfo,
    secure: tlsFiles !== undefined,
    reloadTls: () => {
      if (!tls || !tlsFiles) return;
      tls.reload();
      opts.logger?.info({ cert: tlsFiles.cert }, 'signals receiver TLS files reloaded');
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
