/**
 * HTTP/2 towards members, for gRPC-style requests (HTTP/2 with trailers, `content-type:
 * application/grpc…`), which HTTP/1.1 cannot carry faithfully: one h2c session (prior
 * knowledge, RFC 9113 §3.3) per member origin, reused by all streams and opened again when it
 * closes. Response trailers (`grpc-status`, `grpc-message`) are passed back to the client.
 */
import { connect, constants } from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import type { AttemptError } from './forward';

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_SCHEME, HTTP2_HEADER_AUTHORITY, HTTP2_HEADER_STATUS } = constants;

/** Where a member's response goes (an HTTP/2 compatibility response of the client). */
export interface H2Sink {
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  addTrailers(headers: Record<string, string | string[]>): void;
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  once(event: 'drain', fn: () => void): unknown;
}

/** True for gRPC (and gRPC-Web over HTTP/2) requests: they need HTTP/2 to the member. */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  const v = Array.isArray(contentType) ? contentType[0] : contentType;
  return typeof v === 'string' && /^application\/grpc(?:[+;]|$)/i.test(v);
}

function plain(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !k.startsWith(':')) out[k] = v;
  return out;
}

/** h2c sessions per member origin. */
export class H2Sessions {
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(private readonly o: { connectTimeoutMs: number; upstreamHeadersTimeoutMs: number }) {}

  private get(origin: string): ClientHttp2Session {
    const s = this.sessions.get(origin);
    if (s && !s.closed && !s.destroyed) return s;
    const n = connect(origin);
    n.on('error', () => undefined);
    n.on('close', () => {
      if (this.sessions.get(origin) === n) this.sessions.delete(origin);
    });
    n.on('goaway', () => {
      if (this.sessions.get(origin) === n) this.sessions.delete(origin);
    });
    this.sessions.set(origin, n);
    return n;
  }

  /**
   * Sends one request over HTTP/2 and streams the answer into `sink`, trailers included.
   * Resolves undefined when the exchange completed, else an AttemptError (`headSeen` tells
   * whether the response had started).
   */
  forward(origin: string, method: string, path: string, authority: string, headers: Record<string, string | string[]>, body: Readable, sink: H2Sink): Promise<(AttemptError & { headSeen: boolean }) | undefined> {
    return new Promise((resolve) => {
      let headSeen = false;
      let settled = false;
      const finish = (e?: AttemptError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(e ? { ...e, headSeen } : undefined);
      };
      const session = this.get(origin);
      const h: OutgoingHttpHeaders = { ...headers, [HTTP2_HEADER_METHOD]: method, [HTTP2_HEADER_PATH]: path, [HTTP2_HEADER_SCHEME]: 'http', [HTTP2_HEADER_AUTHORITY]: authority };
      delete h.host;
      const stream = session.request(h, { endStream: false });
      const connecting = session.connecting;
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish({ outcome: connecting ? 'connect-failure' : 'failure', status: 504, beforeSend: connecting, message: 'no response head in time' });
      }, this.o.upstreamHeadersTimeoutMs + (connecting ? this.o.connectTimeoutMs : 0));
      stream.on('response', (rh) => {
        headSeen = true;
        clearTimeout(timer);
        sink.writeHead(Number(rh[HTTP2_HEADER_STATUS]), plain(rh));
      });
      stream.on('trailers', (t: IncomingHttpHeaders) => sink.addTrailers(plain(t)));
      stream.on('data', (c: Buffer) => {
        if (!sink.write(c)) {
          stream.pause();
          sink.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => {
        if (!headSeen) return;
        sink.end();
        finish();
      });
      stream.on('error', (err: NodeJS.ErrnoException) => {
        const refused = err.code === 'ECONNREFUSED' || (session.destroyed && !headSeen && connecting);
        finish({ outcome: refused ? 'connect-failure' : 'failure', status: 502, beforeSend: refused, message: `upstream HTTP/2 error (${err.code ?? err.message})` });
      });
      stream.on('close', () => {
        if (!settled) finish({ outcome: 'failure', status: 502, beforeSend: false, message: `upstream HTTP/2 stream closed (code ${stream.rstCode})` });
      });
      body.pipe(stream);
    });
  }

  /** Closes every session. */
  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}
