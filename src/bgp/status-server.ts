import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnnouncerStatus } from './status';

const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** Prometheus text exposition of the announcers' state. */
export function metricsText(all: AnnouncerStatus[]): string {
  const lines = [
    '# HELP anypick_bgp_session_state BGP FSM state (0 Idle, 1 Connect, 2 Active, 3 OpenSent, 4 OpenConfirm, 5 Established).',
    '# TYPE anypick_bgp_session_state gauge',
  ];
  const counters: string[] = [];
  for (const a of all) {
    for (const s of a.sessions) {
      const l = `announcer="${a.name}",neighbor="${s.neighbor}"`;
      lines.push(`anypick_bgp_session_state{${l}} ${STATES.indexOf(s.state)}`);
      lines.push(`anypick_bgp_announced_prefixes{${l}} ${s.announced.length}`);
      lines.push(`anypick_bgp_last_transition_seconds{${l}} ${Date.parse(s.lastTransition) / 1000}`);
      for (const [k, v] of Object.entries(s.counters)) {
        counters.push(`anypick_bgp_${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}_total{${l}} ${v}`);
      }
    }
    lines.push(`anypick_bgp_check_healthy{announcer="${a.name}"} ${a.check.healthy ? 1 : 0}`);
  }
  return [...lines, '# TYPE anypick_bgp_announced_prefixes gauge', ...counters].join('\n') + '\n';
}

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
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new TypeError(`--status-http: expected ADDR:PORT, got '${addr}'`);
  const server = createServer((req, res) => {
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/status') return send(200, JSON.stringify({ announcers: h.status() }, null, 2) + '\n');
    if (req.method === 'GET' && path === '/metrics') return send(200, metricsText(h.status()), 'text/plain; version=0.0.4');
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: m[1] || '127.0.0.1', port: Number(m[2]) }, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}` };
}
