import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemberStateView } from '../signals/state';
import { parseHostPort } from '../util/host-port';
import type { Logger } from '../util/log';
import type { Telemetry } from './metrics';

/** Options of startTelemetryServer. */
export interface TelemetryServerOptions {
  /** `ADDR:PORT`, default 127.0.0.1:8053. */
  listen?: string;
  telemetry: Telemetry;
  registry?: MemberStateView;
  logger?: Logger;
  /** More fields for /status.json (the node, members, answers, BGP, events: src/status). */
  status?: () => object;
  /** The dashboard page, served at `/`. */
  dashboard?: string;
  /**
   * More JSON documents by path (`/series.json`, `/traffic.json`, `/latency.json`), made per
   * request from its query; a document with a string `error` is sent as 400.
   */
  json?: Record<string, (query: URLSearchParams) => object>;
  /** Static files by path (the dashboard's scripts and map under `/assets/`). */
  assets?: Record<string, { type: string; body: Buffer }>;
}

/** A running telemetry HTTP server. */
export interface TelemetryServer {
  address(): AddressInfo;
  close(): Promise<void>;
}

/**
 * The operator's HTTP endpoint (`--http`): `GET /metrics` (Prometheus text) and
 * `GET /status.json` — the member state, its local version and a digest that is equal on every
 * node holding the same membership and weights (so a fleet can be compared at a glance); and
 * when given, the dashboard at `/`, its `json` documents and its static `assets`.
 */
export async function startTelemetryServer(opts: TelemetryServerOptions): Promise<TelemetryServer> {
  const started = new Date().toISOString();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      opts.telemetry.prometheus.getMetricsRequestHandler(req, res);
      return;
    }
    if ((path === '/' || path === '/index.html') && opts.dashboard) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(opts.dashboard);
      return;
    }
    const doc = opts.json && Object.hasOwn(opts.json, path) ? opts.json[path] : undefined;
    if (doc) {
      const body = doc(new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
      const status = typeof (body as { error?: unknown }).error === 'string' ? 400 : 200;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body) + '\n');
      return;
    }
    const asset = opts.assets && Object.hasOwn(opts.assets, path) ? opts.assets[path] : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'max-age=3600' }).end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/status.json') {
      const reg = opts.registry;
      const body = JSON.stringify({
        ...opts.status?.(),
        started,
        signals: reg
          ? { version: reg.version, digest: reg.digest(), starting: reg.starting, members: reg.snapshot() }
          : null,
      }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /, /metrics or /status.json\n');
  });
  const { host, port } = parseHostPort(opts.listen ?? '127.0.0.1:8053', { listen: true, names: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  opts.logger?.info({ address: server.address() }, 'telemetry HTTP listening');
  return {
    address: () => server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
