import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/** What a test backend saw. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A small HTTP backend that answers `{ name, … }` and records requests. */
export class Backend {
  server: Server;
  port = 0;
  seen: Seen[] = [];
  /** Status to answer with (default 200). */
  status = 200;
  /** Delay before the response head, ms. */
  delayMs = 0;
  private sockets = new Set<Socket>();

  constructor(readonly name: string) {
    this.server = this.make();
  }

  private make(): Server {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        setTimeout(() => {
          const out = JSON.stringify({ name: this.name, bytes: body.length });
          res.writeHead(this.status, { 'content-type': 'application/json', 'x-backend': this.name });
          res.end(out);
        }, this.delayMs);
      });
    });
    s.on('connection', (c: Socket) => {
      this.sockets.add(c);
      c.on('close', () => this.sockets.delete(c));
    });
    return s;
  }

  /** Starts (again, on the same port when restarted). */
  async start(host = '127.0.0.1'): Promise<this> {
    if (this.server.listening) return this;
    this.server = this.make();
    await new Promise<void>((r) => this.server.listen(this.port, host, () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops and drops open connections. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const p = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await p;
  }
}

/** Sends raw bytes and collects what comes back until the server closes or `waitMs` passes. */
export function raw(port: number, data: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, waitMs);
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('error', () => undefined);
    s.write(data);
  });
}

/** Status code of a raw HTTP response text (0 when none). */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}
