import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnnouncerStatus, Counters } from './status';

const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** HELP text of every counter (docs/operations.md lists the same). */
const COUNTER_HELP: Record<keyof Counters, string> = {
  messagesSent: 'BGP messages sent.',
  messagesReceived: 'BGP messages received.',
  updatesReceived: 'UPDATE messages received.',
  prefixesReceived: 'Prefixes announced to us by the neighbor.',
  treatAsWithdraw: 'UPDATEs handled as withdraw for a malformed attribute (RFC 7606).',
  attributesDiscarded: 'Malformed optional attributes discarded (RFC 7606).',
  malformedReceived: 'Messages that failed to decode.',
  notificationsSent: 'NOTIFICATION messages sent.',
  notificationsReceived: 'NOTIFICATION messages received.',
  routeRefreshesReceived: 'ROUTE-REFRESH requests answered (RFC 2918).',
  announcementsSent: 'Announcements of the prefix sent.',
  withdrawalsSent: 'Withdrawals of the prefix sent.',
  establishedTransitions: 'Times the session reached Established.',
  collisions: 'Connection collisions resolved (RFC 4271 section 6.8).',
};

/**
 * Prometheus text exposition (format 0.0.4) of the announcers' state: one family per metric,
 * its HELP and TYPE first, then all its samples.
 */
export function metricsText(all: AnnouncerStatus[]): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: string[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map((s) => `${name}${s}`));
  };
  const sessions = all.flatMap((a) => a.sessions.map((s) => ({ s, l: `{announcer="${a.name}",neighbor="${s.neighbor}"}` })));
  family('anypick_bgp_session_state', 'gauge', 'BGP FSM state (0 Idle, 1 Connect, 2 Active, 3 OpenSent, 4 OpenConfirm, 5 Established).', sessions.map(({ s, l }) => `${l} ${STATES.indexOf(s.state)}`));
  family('anypick_bgp_announced_prefixes', 'gauge', 'Prefixes currently announced to the neighbor.', sessions.map(({ s, l }) => `${l} ${s.announced.length}`));
  family('anypick_bgp_unannounced_prefixes', 'gauge', 'Wanted prefixes the Established session cannot carry (family not negotiated, no next hop).', sessions.map(({ s, l }) => `${l} ${s.unannounced.length}`));
  family('anypick_bgp_last_transition_seconds', 'gauge', "Unix time of the session's last state change.", sessions.map(({ s, l }) => `${l} ${Date.parse(s.lastTransition) / 1000}`));
  family('anypick_bgp_check_healthy', 'gauge', '1 while the DNS check passes, 0 after it failed.', all.map((a) => `{announcer="${a.name}"} ${a.check.healthy ? 1 : 0}`));
  for (const k of Object.keys(COUNTER_HELP) as (keyof Counters)[]) {
    const name = `anypick_bgp_${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}_total`;
    family(name, 'counter', COUNTER_HELP[k], sessions.map(({ s, l }) => `${l} ${s.counters[k]}`));
  }
  return out.join('\n') + '\n';
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
