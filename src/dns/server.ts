/**
 * The authoritative DNS server: UDP and TCP listeners sharing one engine and one data set.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { Zone } from '../zone/types';
import type { Logger } from '../util/log';
import type { DynamicResponder } from './dynamic';
import type { ZoneSigner } from '../dnssec/signer';
import type { SigningCounts } from './counters';
import type { DnsCountersSnapshot } from './counters';
import { DnsEngine } from './engine';
import type { QueryContext } from './engine';
import { DataSet } from './store';
import { serveTcpConnection } from './tcp';
import { TcpConnectionTable, addressKey, tcpLimits } from './tcp-limits';
import type { TcpLimits } from './tcp-limits';
import { ThrottledWarnings } from '../util/throttled-log';
import type { ServerCookies } from './cookies';
import type { ResponseRateLimiter } from './rrl';
import { MAX_UDP_QUERY, bindBatchUdp, udpIo } from './udp-batch';
import type { IoChoice, IoDecision } from './udp-batch';
import { ExchangeReporter, wallClockMs } from './observer';
import type { DnsObserver } from './observer';

/** Where to listen. Port 0 picks a free port, the same for UDP and TCP. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Options of startDnsServer. */
export interface DnsServerOptions {
  listen: ListenAddress[];
  zones: Zone[];
  dynamic?: DynamicResponder[];
  /** Online signers of the signed zones, by origin (src/dnssec). */
  signers?: ReadonlyMap<string, ZoneSigner>;
  logger: Logger;
  /** One log line per query (info level). */
  queryLog?: boolean;
  /** Largest UDP reply; default 1232. */
  maxUdpSize?: number;
  /** This node's NSID (RFC 5001), e.g. its host name; off when absent. */
  nsid?: string;
  /** TCP limits (tcp-limits.ts); defaults for what is absent. */
  tcp?: Partial<TcpLimits>;
  /** Response rate limiting of UDP replies (rrl.ts); off when absent. */
  rrl?: ResponseRateLimiter;
  /** Server cookies (cookies.ts); off when absent. */
  cookies?: ServerCookies;
  /**
   * UDP I/O: `batch` reads and writes datagrams in batches through the native addon
   * (recvmmsg/sendmmsg), `dgram` one by one through node:dgram, `auto` (default) batch when
   * the addon is built, else dgram.
   */
  io?: IoChoice;
  /**
   * Batch path only: bind each UDP address with SO_REUSEPORT, so every worker process has a
   * socket of its own (the TCP port is bound first and its port reused for UDP).
   */
  reusePort?: boolean;
  /**
   * Sees every query and the reply sent for it, on every transport (observer.ts; dnstap).
   * Absent: the transports pay one check per message.
   */
  observer?: DnsObserver;
}

/** A running server. */
export interface DnsServer {
  /** Replaces zones and dynamic responders atomically; throws DataSetError and keeps the old set on bad input. */
  update(zones: Zone[], dynamic?: DynamicResponder[], signers?: ReadonlyMap<string, ZoneSigner>): void;
  /** The signers now served (their counters feed /metrics). */
  signers(): ZoneSigner[];
  /** Closes every socket. */
  close(): Promise<void>;
  /** The bound addresses (actual ports; UDP and TCP share the port). */
  addresses(): ListenAddress[];
  /** Counters: queries by QTYPE, replies by RCODE, drops, truncations, cache use. */
  counters(): DnsCountersSnapshot;
  /** Cumulative UDP processing-time histogram (latency.ts buckets). */
  latency(): number[];
  /** The UDP I/O path in use and, when `auto` fell back to dgram, why. */
  readonly io: IoDecision;
}

/** Thrown when a listen address cannot be bound. */
export class DnsListenError extends Error {
  override readonly name = 'DnsListenError';
  readonly code = 'E_DNS_LISTEN';
}

/** A bound UDP socket of either I/O path. */
interface UdpEndpoint {
  port: number;
  close(): Promise<void>;
}

interface Listener {
  udp: UdpEndpoint;
  tcp: net.Server;
  address: ListenAddress;
}

function bindUdp(engine: DnsEngine, host: string, port: number, observer: DnsObserver | undefined): Promise<UdpEndpoint> {
  const sock = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(host) });
  // One context object reused per datagram: handle() is synchronous and does not keep it.
  const ctx: QueryContext = { tcp: false, address: '', family: 4 };
  const seen = observer ? new ExchangeReporter(observer, false, host) : undefined;
  sock.on('message', (msg, rinfo) => {
    if (msg.length > MAX_UDP_QUERY) {
      // As on the batch path, whose receive slots hold no more.
      engine.counters.udp++;
      engine.counters.dropped++;
      return;
    }
    ctx.address = rinfo.address;
    ctx.family = rinfo.family === 'IPv6' ? 6 : 4;
    const received = seen ? wallClockMs() : 0;
    const t0 = process.hrtime.bigint();
    const reply = engine.handle(msg, ctx);
    engine.latency.since(t0);
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
    if (seen) seen.report(msg, reply, ctx.address, ctx.family, rinfo.port, received);
  });
  return new Promise((resolveP, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      if (seen) seen.serverPort = sock.address().port;
      sock.on('error', () => undefined);
      resolveP({ port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) });
    });
  });
}

/**
 * The batch path's socket (udp-batch.ts); bind errors come back as the addon's Error. Its
 * counters are logged when it closes (datagrams per recvmmsg show how well batching works).
 */
async function bindBatch(engine: DnsEngine, host: string, port: number, reusePort: boolean, logger: Logger, observer: DnsObserver | undefined): Promise<UdpEndpoint> {
  const s = bindBatchUdp(engine, host, port, reusePort, observer);
  return {
    port: s.port,
    close: async () => {
      const [wakeups, batches, datagrams, sent, sendErrors, oversized] = s.stats();
      logger.info({ host, port: s.port, wakeups, batches, datagrams, perBatch: batches ? Math.round((datagrams / batches) * 10) / 10 : 0, sent, sendErrors, oversized }, 'udp batch io closed');
      s.close();
    },
  };
}

function bindTcp(engine: DnsEngine, host: string, port: number, table: TcpConnectionTable, observer: DnsObserver | undefined): Promise<net.Server> {
  const server = net.createServer((sock) => {
    const seen = observer ? new ExchangeReporter(observer, true, sock.localAddress ?? host, sock.localPort ?? port) : undefined;
    if (serveTcpConnection(sock, engine, table, addressKey(sock.remoteAddress ?? ''), Date.now, seen)) engine.counters.tcpConnections++;
  });
  return new Promise((resolveP, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: net.isIPv6(host) }, () => {
      server.off('error', reject);
      resolveP(server);
    });
  });
}

/** How UDP sockets are made: the I/O path and, for batch, whether to share the port. */
interface UdpBinder {
  bind(engine: DnsEngine, host: string, port: number): Promise<UdpEndpoint>;
  /** Bind TCP first and take its port (workers: node:cluster hands every worker the same TCP port). */
  tcpFirst: boolean;
}

function udpBinder(io: IoDecision, reusePort: boolean, logger: Logger, observer: DnsObserver | undefined): UdpBinder {
  if (io.mode === 'dgram') return { bind: (e, h, p) => bindUdp(e, h, p, observer), tcpFirst: false };
  return { bind: (e, h, p) => bindBatch(e, h, p, reusePort, logger, observer), tcpFirst: reusePort };
}

async function bindPair(engine: DnsEngine, want: ListenAddress, table: TcpConnectionTable, udpWay: UdpBinder, observer: DnsObserver | undefined): Promise<Listener> {
  if (udpWay.tcpFirst) {
    let tcp: net.Server;
    try {
      tcp = await bindTcp(engine, want.host, want.port, table, observer);
    } catch (err) {
      throw new DnsListenError(`cannot bind TCP ${want.host}:${want.port}: ${(err as Error).message}`, { cause: err });
    }
    const port = (tcp.address() as net.AddressInfo).port;
    try {
      const udp = await udpWay.bind(engine, want.host, port);
      return { udp, tcp, address: { host: want.host, port } };
    } catch (err) {
      await new Promise<void>((r) => tcp.close(() => r()));
      throw new DnsListenError(`cannot bind UDP ${want.host}:${port}: ${(err as Error).message}`, { cause: err });
    }
  }
  for (let attempt = 0; ; attempt++) {
    let udp: UdpEndpoint;
    try {
      udp = await udpWay.bind(engine, want.host, want.port);
    } catch (err) {
      throw new DnsListenError(`cannot bind UDP ${want.host}:${want.port}: ${(err as Error).message}`, { cause: err });
    }
    const port = udp.port;
    try {
      const tcp = await bindTcp(engine, want.host, port, table, observer);
      return { udp, tcp, address: { host: want.host, port } };
    } catch (err) {
      await udp.close();
      // With port 0 the kernel chose a UDP port whose TCP twin is taken: try another.
      if (want.port === 0 && attempt < 20) continue;
      throw new DnsListenError(`cannot bind TCP ${want.host}:${port}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Starts the server on every listen address; rejects with DnsListenError, DataSetError, or
 * IoUnavailableError for `io: 'batch'` without the addon.
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const io = udpIo(opts.io ?? 'auto');
  const udpWay = udpBinder(io, opts.reusePort === true, opts.logger, opts.observer);
  const warnings = new ThrottledWarnings(opts.logger);
  let data = new DataSet(opts.zones, opts.dynamic, opts.signers);
  /** Signing counts of signers a reload replaced, by zone. */
  const carried = new Map<string, SigningCounts>();
  const engine = new DnsEngine(data, { ...opts, guard: { rrl: opts.rrl, cookies: opts.cookies, warnings } });
  const limits = tcpLimits(opts.tcp);
  const counters = engine.counters;
  const table = new TcpConnectionTable(
    limits,
    (reason) => {
      counters.tcpClosed[reason]++;
      if (reason !== 'idle') warnings.warn(`tcp ${reason}`, `dns tcp: connection closed (${reason.replace(/_/g, ' ')})`, { connections: table.size, maxConnections: limits.maxConnections, idleTimeoutMs: table.idleTimeoutMs() });
    },
    (reason, key) => {
      counters.tcpRefused[reason]++;
      warnings.warn(`tcp refused ${reason}`, `dns tcp: new connection refused (${reason.replace(/_/g, ' ')})`, { client: key, connections: table.size, maxConnections: limits.maxConnections, maxPerAddress: limits.maxPerAddress });
    },
  );
  // The table's timeouts are checked a few times per shortest timeout.
  const sweep = setInterval(() => table.sweep(Date.now()), Math.max(50, Math.min(500, Math.floor(Math.min(limits.minIdleTimeoutMs, limits.messageTimeoutMs) / 4))));
  sweep.unref();
  // Signed answers kept by the caches are dropped hourly (their signatures renew well before
  // expiry, src/dnssec) and at once when a key's timing publishes, activates or retires it.
  const resign = setInterval(() => engine.refreshSigned(Date.now(), 3_600_000), 1000);
  resign.unref();
  const listeners: Listener[] = [];
  try {
    for (const l of opts.listen) listeners.push(await bindPair(engine, l, table, udpWay, opts.observer));
  } catch (err) {
    clearInterval(sweep);
    clearInterval(resign);
    await closeAll(listeners, table);
    throw err;
  }
  return {
    update(zones, dynamic, signers) {
      const next = new DataSet(zones, dynamic, signers);
      // The counts of the signers replaced go on (Prometheus counters only grow).
      for (const s of data.signers()) addSigning(carried, s);
      data = next;
      engine.update(data);
    },
    signers: () => data.signers(),
    close: () => {
      clearInterval(sweep);
      clearInterval(resign);
      return closeAll(listeners, table);
    },
    addresses: () => listeners.map((l) => ({ ...l.address })),
    counters: () => {
      const stats = engine.stats();
      if (carried.size === 0 && data.signed === 0) return stats;
      const all = new Map([...carried].map(([z, c]) => [z, { signatures: { ...c.signatures }, cacheHits: c.cacheHits, errors: c.errors }]));
      for (const s of data.signers()) addSigning(all, s);
      return { ...stats, dnssec: Object.fromEntries(all) };
    },
    latency: () => engine.latency.snapshot(),
    io,
  };
}

/** Adds a signer's counters to `into` (by zone). */
function addSigning(into: Map<string, SigningCounts>, s: ZoneSigner): void {
  const c = into.get(s.zone) ?? { signatures: {}, cacheHits: 0, errors: 0 };
  for (const [alg, n] of s.counters.signatures) c.signatures[String(alg)] = (c.signatures[String(alg)] ?? 0) + n;
  c.cacheHits += s.counters.cacheHits;
  c.errors += s.counters.errors;
  into.set(s.zone, c);
}

async function closeAll(listeners: Listener[], table: TcpConnectionTable): Promise<void> {
  await Promise.all(
    listeners.map(async (l) => {
      await l.udp.close();
      await new Promise<void>((r) => {
        l.tcp.close(() => r());
        // Open connections would hold close() until they idle out: end them now.
        table.closeAll();
      });
    }),
  );
}
