import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort } from '../util/host-port';
import { BgpMetrics } from './metrics';
import type { AnnouncerStatus } from './status';

/** Handlers the status endpoint calls. */
export interface StatusHandlers {
  status(): AnnouncerStatus[];
  drain(): Promise<void>;
  enable(): void;
}

/**
 * Serves `GET /status` (JSON), `GET /metrics` (Prometheus text), `POST /drain` and
 * `POST /enable` on ADDR:PORT (port 0 picks a free port; see `address()`).
 */
export async function startStatusServer(addr: string, h: StatusHandlers): Promise<{ server: Server; address: string }> {
  const { host, port } = parseHostPort(addr, { listen: true, names: true });
  const metrics = new BgpMetrics(() => h.status());
  const server = createServer((req, res) => {
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/status') return send(200, JSON.stringify({ announcers: h.status() }, null, 2) + '\n');
    if (req.method === 'GET' && path === '/metrics') return metrics.handle(req, res);
    if (req.method === 'POST' && path === '/drain') {
      void h.drain();
      return send(202, JSON.stringify({ accepted: 'drain' }) + '\n');
    }
    if (req.method === 'POST' && path === '/enable') {
      h.enable();
      return send(200, JSON.stringify({ accepted: 'enable' }) + '\n');
    }
    send(404, JSON.stringify({ error: `no route ${req.method} ${path}; try GET /status, GET /metrics, POST /drain, POST /enable` }) + '\n');
  });
  server.on('close', () => void metrics.shutdown());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}` };
}
