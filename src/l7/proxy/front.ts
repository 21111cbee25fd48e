/**
 * The listening side of the L7 proxy: one port that speaks
 * - in clear: HTTP/1.1, and HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3: the connection
 *   starts with the preface `PRI * HTTP/2.0`, so the first bytes choose the protocol);
 * - with TLS (`TlsCertificates`, SNI chooses the certificate): ALPN `h2` or `http/1.1`
 *   (RFC 7301), HTTP/1.1 when the client offers no ALPN.
 * Both protocols end in the same request handler (node's HTTP/2 compatibility API mirrors
 * node:http's request and response); HTTP/1.1 `Upgrade` requests go to the upgrade handler.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerOptions, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createH2Server } from 'node:http2';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { TlsCertificates } from '../../util/tls';

/** What the front hands to the proxy. */
export interface FrontHandlers {
  request: (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  clientError: (err: NodeJS.ErrnoException, socket: Duplex) => void;
}

/** Limits of the front (from ProxyOptions). */
export interface FrontOptions {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  tls?: TlsCertificates;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * A clear HTTP/2 connection whose first bytes were already read: node's HTTP/2 session reads
 * the socket's handle directly, so the session gets a stream that yields those bytes first.
 */
function replayed(socket: Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _e, cb) => void socket.write(chunk, cb),
    final: (cb) => {
      socket.end();
      cb();
    },
    destroy: (err, cb) => {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  d.push(first);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

/**
 * Reads the first bytes of a clear connection and hands it to `h2` when they are the HTTP/2
 * preface, else (the bytes put back) to `h1`.
 */
function sniff(socket: Socket, h1: (s: Socket) => void, h2: (s: Socket, first: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  const stop = (): void => {
    socket.off('readable', onReadable);
    socket.off('close', stop);
  };
  const onReadable = (): void => {
    let c: Buffer | null;
    while ((c = socket.read() as Buffer | null) !== null) {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      const n = Math.min(buf.length, PREFACE.length);
      if (buf.compare(PREFACE, 0, n, 0, n) !== 0) {
        stop();
        socket.unshift(buf);
        return h1(socket);
      }
      if (n === PREFACE.length) {
        stop();
        return h2(socket, buf);
      }
    }
  };
  socket.on('readable', onReadable);
  socket.on('close', stop);
}

/** The listening server and its HTTP/2 side. */
export interface Front {
  /** The server that listens (node:http, or node:https with TLS). */
  server: HttpServer;
  /** Sessions of HTTP/2 clients (h2 over TLS, h2c in clear). */
  h2: Http2Server;
  /** True when this front terminates TLS. */
  tls: boolean;
  /** The client connection of a request (HTTP/1.1 or HTTP/2): address, port, TLS. */
  peer(req: IncomingMessage | Http2ServerRequest): Socket;
}

/** Builds the front; call `server.listen()`. */
export function createFront(o: FrontOptions, on: FrontHandlers): Front {
  const http1: ServerOptions = {
    maxHeaderSize: o.maxHeaderBytes,
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, o.headersTimeoutMs),
    // Checked by the handler so the 400 carries a problem body.
    requireHostHeader: false,
    // node:http sets TCP_NODELAY by default, node:https does not: without it a response written
    // in two TLS records waits for the client's delayed ACK (~40 ms).
    noDelay: true,
  };
  const server: HttpServer = o.tls ? createHttpsServer({ ...http1, ...o.tls.serverOptions(), ALPNProtocols: ['h2', 'http/1.1'] }) : createHttpServer(http1);
  const h2 = createH2Server({
    maxSessionMemory: 16,
    // RFC 9113 §6.5.2: the largest header list the peer may send (the same limit as HTTP/1.1).
    settings: { maxHeaderListSize: o.maxHeaderBytes },
  });
  h2.setTimeout(o.requestTimeoutMs);
  h2.on('request', on.request);
  h2.on('sessionError', () => undefined);
  server.on('request', on.request);
  server.on('upgrade', on.upgrade);
  server.on('clientError', on.clientError);

  // node:http registered its connection listener at construction: keep it for HTTP/1.1 and
  // put the protocol choice in front of it.
  const event = o.tls ? 'secureConnection' : 'connection';
  const [h1Listener] = server.listeners(event) as ((s: Socket) => void)[];
  server.removeListener(event, h1Listener);
  const toH1 = (s: Socket): void => h1Listener.call(server, s);
  // The h2 session is created (and 'session' emitted) while 'connection' is emitted.
  const peers = new WeakMap<Http2Session, Socket>();
  let connecting: Socket | undefined;
  h2.on('session', (session: Http2Session) => {
    if (connecting) peers.set(session, connecting);
  });
  const toH2 = (s: Socket, first?: Buffer): void => {
    connecting = s;
    try {
      h2.emit('connection', first ? replayed(s, first) : s);
    } finally {
      connecting = undefined;
    }
  };
  server.on(event, (s: Socket) => {
    // With TLS, ALPN has chosen (no ALPN: HTTP/1.1, RFC 7301 §3.2); in clear, the first bytes do.
    if (o.tls) return (s as TLSSocket).alpnProtocol === 'h2' ? toH2(s) : toH1(s);
    sniff(s, toH1, toH2);
  });
  if (o.tls) o.tls.attach(server as unknown as TlsServer);
  const peer = (req: IncomingMessage | Http2ServerRequest): Socket => {
    if ('stream' in req) {
      const session = req.stream.session;
      return (session && peers.get(session)) ?? (req.socket as Socket);
    }
    return req.socket;
  };
  return { server, h2, tls: !!o.tls, peer };
}
