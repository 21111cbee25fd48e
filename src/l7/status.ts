/**
 * `anypick proxy --status ADDR:PORT`: a small read-only HTTP endpoint, `GET /status.json`, with
 * the tier's current decision (entry or cluster statuses, serving mode and why), passive-health
 * ejections, request counters and what was last published upward; and `GET /metrics`, the
 * Prometheus exposition (src/l7/metrics.ts), when a metrics handler is given.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Produces the status document. */
export type StatusSource = () => unknown;

/** Starts the status endpoint; resolves with the server and its bound port. */
export function startStatusServer(host: string, port: number, source: StatusSource, metrics?: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
      return;
    }
    if (path === '/metrics' && metrics) {
      metrics(req, res);
      return;
    }
    if (path !== '/status.json') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(metrics ? 'GET /status.json or /metrics\n' : 'GET /status.json\n');
      return;
    }
    let body: string;
    try {
      body = JSON.stringify(source(), null, 2) + '\n';
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`status failed: ${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : port });
    });
  });
}
