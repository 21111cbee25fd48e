import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parseHostPort } from '../util/host-port';
import type { Logger } from '../util/log';
import { ForeignMemberError, extractLogs, extractMetrics } from './extract';
import type { Extracted } from './extract';
import { DEFAULT_LIMITS, RateLimiter } from './limits';
import type { IngestLimits } from './limits';
import type { MemberRegistry } from './registry';
import { bearerToken } from './tokens';
import type { TokenStore } from './tokens';
import { decodeLogsJson, decodeMetricsJson } from './wire/otlp-json';
import { decodeLogsProto, decodeMetricsProto } from './wire/otlp-proto';
import { encodeExportResponse, encodeStatus } from './wire/proto-writer';
import { OtlpDecodeError } from './wire/types';

/** Counts the receiver reports to anypick's own telemetry. */
export interface IngestObserver {
  ingest(signal: 'logs' | 'metrics', outcome: 'accepted' | 'rejected', n: number): void;
  refused(status: number): void;
}

/** Options of startSignalsReceiver. */
export interface ReceiverOptions {
  /** `ADDR:PORT` or `[V6]:PORT` (port 0 = any free port). Default 127.0.0.1:4318. */
  listen?: string;
  registry: MemberRegistry;
  tokens: TokenStore;
  limits?: Partial<IngestLimits>;
  logger?: Logger;
  /** Member blocks from the delivery file (`tier/service/member` → ADDR/LEN). */
  blocks?: ReadonlyMap<string, readonly string[]>;
  /** Events older than this are rejected as stale; default the registry's lease. */
  maxAgeMs?: number;
  observer?: IngestObserver;
  now?: () => number;
}

/** A running receiver. */
export interface SignalsReceiver {
  /** Bound address (port resolved when listen asked for 0). */
  address(): AddressInfo;
  close(): Promise<void>;
}


type Encoding = 'json' | 'proto';

// OTLP/HTTP spec "Failures": the body is a google.rpc.Status; gRPC codes by HTTP status.
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14 };

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

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body = Buffer.concat(chunks);
  const ce = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (ce === 'gzip') {
    try {
      body = gunzipSync(body, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpError(413, `decompressed body exceeds the limit of ${limit} bytes`);
      throw new HttpError(400, `gzip body is corrupt: ${(err as Error).message}`);
    }
  } else if (ce !== 'identity') {
    throw new HttpError(415, `unsupported Content-Encoding '${ce}' (gzip or identity)`);
  }
  return body;
}

/**
 * Starts the OTLP/HTTP receiver: `POST /v1/logs` (presence, readiness, errors events) and
 * `POST /v1/metrics` (utilization gauge), JSON or protobuf, optionally gzip, bearer token
 * bound to a member. Responses follow the OTLP/HTTP spec (docs/signals.md lists every code).
 */
export async function startSignalsReceiver(opts: ReceiverOptions): Promise<SignalsReceiver> {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const rate = new RateLimiter(limits.ratePerToken, limits.burstPerToken, now);
  const blocks = opts.blocks ?? new Map<string, readonly string[]>();
  let inFlight = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const signal = path === '/v1/logs' ? 'logs' : path === '/v1/metrics' ? 'metrics' : undefined;
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const enc: Encoding = type === 'application/x-protobuf' ? 'proto' : 'json';
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
      if (inFlight >= limits.maxInFlight) throw new HttpError(503, 'too many requests in flight', { 'retry-after': '1' });
      inFlight++;
      let body: Buffer;
      try {
        body = await readBody(req, limits.maxBodyBytes);
      } finally {
        inFlight--;
      }
      const ctx = { binding, blocks, now: now(), maxAgeMs: opts.maxAgeMs ?? opts.registry.lease };
      let got: Extracted;
      try {
        got = signal === 'logs'
          ? extractLogs(enc === 'proto' ? decodeLogsProto(body) : decodeLogsJson(body), ctx)
          : extractMetrics(enc === 'proto' ? decodeMetricsProto(body) : decodeMetricsJson(body), ctx);
      } catch (err) {
        if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
        if (err instanceof ForeignMemberError) throw new HttpError(403, err.message);
        throw err;
      }
      opts.registry.apply(got.signals);
      opts.observer?.ingest(signal, 'accepted', got.accepted);
      if (got.rejected > 0) {
        opts.observer?.ingest(signal, 'rejected', got.rejected);
        opts.logger?.warn({ member: `${binding.tier}/${binding.service}/${binding.member}`, rejected: got.rejected, errors: got.errors }, 'signals partially rejected');
      }
      const msg = got.errors.join('; ');
      const key = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
      if (enc === 'proto') send(res, 200, enc, encodeExportResponse(got.rejected, got.rejected > 0 ? msg : ''));
      else send(res, 200, enc, got.rejected > 0 ? { partialSuccess: { [key]: String(got.rejected), errorMessage: msg } } : {});
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal error');
      if (!(err instanceof HttpError)) opts.logger?.error({ err }, 'signals receiver failed on a request');
      opts.observer?.refused(e.status);
      req.resume(); // drain an unread body so the connection can be reused
      if (!res.headersSent) sendError(res, enc, e);
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  const { host, port } = parseHostPort(opts.listen ?? '127.0.0.1:4318', { listen: true, names: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  opts.logger?.info({ address: server.address() }, 'OTLP signals receiver listening');
  return {
    address: () => server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
