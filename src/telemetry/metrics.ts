import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { Counter } from '@opentelemetry/api';
import type { IngestObserver } from '../signals/receiver';
import type { MemberStateView } from '../signals/state';

/** A snapshot of DNS query counters (shape of src/dns/counters.ts DnsCountersSnapshot). */
export interface DnsCountsLike {
  queriesByType: Record<string, number>;
  repliesByRcode: Record<string, number>;
  /** UDP queries answered from the reply cache. */
  replyCacheHits?: number;
  /** Unreadable messages dropped. */
  dropped?: number;
  /** TCP connections accepted. */
  tcpConnections?: number;
  rrl?: { dropped: number; slipped: number; exempt: number };
  cookies?: { clientOnly: number; good: number; bad: number; malformed: number; badcookieSent: number };
  tcpRefused?: Record<string, number>;
  tcpClosed?: Record<string, number>;
  /** Online signing by zone: signatures by algorithm number, signature cache hits, errors. */
  dnssec?: Record<string, { signatures: Record<string, number>; cacheHits: number; errors: number }>;
  /** dnstap output (`serve --dnstap`): frames sent, frames dropped by reason; absent when off. */
  dnstap?: { sent: number; dropped: Record<string, number> };
}

/** DNSSEC algorithm mnemonics for the `algorithm` label. */
const ALGORITHM_LABEL: Record<string, string> = { '13': 'ECDSAP256SHA256', '15': 'ED25519' };

/** Options of createTelemetry. */
export interface TelemetryOptions {
  /** The member registry: lease expiries, state version, members by state. */
  registry?: MemberStateView;
  /** Polled on each collection for queries by type and replies by rcode. */
  dnsSnapshot?: () => DnsCountsLike;
  /** Also push every `otlpIntervalMs` to this OTLP/HTTP metrics URL (…/v1/metrics). */
  otlpUrl?: string;
  otlpIntervalMs?: number;
  /** `service.instance.id` of this node. */
  instance?: string;
  /** The latency map: networks held, evicted and expired. */
  latency?: () => { size: number; evicted: number; expired: number };
  /** The geo databases in use: file and build time (MMDB `build_epoch`, seconds). */
  geoBuilds?: () => Array<{ file: string; buildEpoch: number }>;
}

/**
 * anypick's own metrics through @opentelemetry/sdk-metrics: DNS queries by type and rcode,
 * answers per member, lease expiries, ingest accepted/rejected, the fleet state version. Read
 * with the Prometheus exporter (scraped at /metrics, see telemetry/http.ts) and optionally
 * pushed over OTLP.
 */
export class Telemetry implements IngestObserver {
  readonly prometheus: PrometheusExporter;
  private readonly provider: MeterProvider;
  private readonly ingestCounter: Counter;
  private readonly refusedCounter: Counter;
  private readonly answersCounter: Counter;
  private readonly timeCounter: Counter;
  private readonly latencyCounter: Counter;

  constructor(opts: TelemetryOptions = {}) {
    this.prometheus = new PrometheusExporter({ preventServerStart: true });
    const readers: IMetricReader[] = [this.prometheus];
    if (opts.otlpUrl) {
      readers.push(new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: opts.otlpUrl }),
        exportIntervalMillis: opts.otlpIntervalMs ?? 10_000,
      }));
    }
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'anypick', 'service.instance.id': opts.instance ?? `pid-${process.pid}` }),
      readers,
    });
    const meter = this.provider.getMeter('anypick');
    this.ingestCounter = meter.createCounter('anypick.signals.ingested', { description: 'OTLP records and data points by signal and outcome' });
    this.refusedCounter = meter.createCounter('anypick.signals.refused', { description: 'OTLP requests refused, by HTTP status' });
    this.timeCounter = meter.createCounter('anypick.signals.time_rejected', { description: 'Records rejected for their own time (stale: member clock slow or replay; future: clock fast), per member' });
    this.answersCounter = meter.createCounter('anypick.dns.answers', { description: 'DNS answers naming a member' });
    this.latencyCounter = meter.createCounter('anypick.signals.latency_rejected', { description: 'anypick.client.rtt data points refused, by reason (absurd-rtt, unknown-datacenter, wrong-token, too-many-networks, bad-network, bad-format)' });
    const lat = opts.latency;
    if (lat) {
      meter.createObservableGauge('anypick.latency.networks', { description: 'Client networks in the latency map' }).addCallback((r) => r.observe(lat().size));
      meter.createObservableCounter('anypick.latency.evicted', { description: 'Client networks dropped from the latency map to stay within its size' }).addCallback((r) => r.observe(lat().evicted));
    }
    const reg = opts.registry;
    if (reg) {
      meter.createObservableCounter('anypick.signals.lease_expiries', { description: 'Leases that ran out (members gone silent)' })
        .addCallback((r) => r.observe(reg.expiries));
      meter.createObservableGauge('anypick.signals.state_version', { description: 'Local version of the member state (increments on change)' })
        .addCallback((r) => r.observe(reg.version));
      meter.createObservableGauge('anypick.signals.state_digest', { description: 'Digest of membership and weights (label); equal across an agreeing fleet' })
        .addCallback((r) => r.observe(1, { digest: reg.digest() }));
      meter.createObservableGauge('anypick.signals.members', { description: 'Members by tier, service and state' })
        .addCallback((r) => {
          const counts = new Map<string, number>();
          for (const m of reg.snapshot()) {
            const state = !m.present ? 'absent' : m.ready ? 'ready' : 'not_ready';
            const k = `${m.tier}\0${m.service}\0${state}`;
            counts.set(k, (counts.get(k) ?? 0) + 1);
          }
          for (const [k, n] of counts) {
            const [tier, service, state] = k.split('\0');
            r.observe(n, { tier, service, state });
          }
        });
      meter.createObservableGauge('anypick.signals.member_factor', { description: 'Dynamic weight factor per member' })
        .addCallback((r) => {
          for (const m of reg.snapshot()) r.observe(m.factor, { tier: m.tier, service: m.service, member: m.member });
        });
    }
    const geo = opts.geoBuilds;
    if (geo) {
      meter.createObservableGauge('anypick.geo.database_build_timestamp_seconds', { description: 'When each geo database in use was built (MMDB build_epoch), seconds since the epoch: alert when it gets old' })
        .addCallback((r) => { for (const g of geo()) if (Number.isFinite(g.buildEpoch)) r.observe(g.buildEpoch, { file: g.file }); });
    }
    const dns = opts.dnsSnapshot;
    if (dns) {
      meter.createObservableCounter('anypick.dns.queries', { description: 'DNS queries by QTYPE' })
        .addCallback((r) => { for (const [type, n] of Object.entries(dns().queriesByType)) r.observe(n, { type }); });
      meter.createObservableCounter('anypick.dns.replies', { description: 'DNS replies by RCODE' })
        .addCallback((r) => { for (const [rcode, n] of Object.entries(dns().repliesByRcode)) r.observe(n, { rcode }); });
      meter.createObservableCounter('anypick.dns.reply_cache_hits', { description: 'UDP queries answered from the reply cache (kept replies by query bytes)' })
        .addCallback((r) => r.observe(dns().replyCacheHits ?? 0));
      meter.createObservableCounter('anypick.dns.dropped', { description: 'DNS messages dropped without a reply: unreadable (malformed) or by response rate limiting (rrl)' })
        .addCallback((r) => {
          const c = dns();
          r.observe(c.dropped ?? 0, { reason: 'malformed' });
          r.observe(c.rrl?.dropped ?? 0, { reason: 'rrl' });
        });
      meter.createObservableCounter('anypick.dns.rrl_slipped', { description: 'Rate-limited UDP replies sent short with TC=1 (or BADCOOKIE)' })
        .addCallback((r) => r.observe(dns().rrl?.slipped ?? 0));
      meter.createObservableCounter('anypick.dns.rrl_cookie_exempt', { description: 'UDP replies not rate limited because the query had a valid server cookie' })
        .addCallback((r) => r.observe(dns().rrl?.exempt ?? 0));
      meter.createObservableCounter('anypick.dns.cookies', { description: 'COOKIE options received by outcome, and BADCOOKIE replies sent' })
        .addCallback((r) => {
          const c = dns().cookies;
          r.observe(c?.clientOnly ?? 0, { outcome: 'client_only' });
          r.observe(c?.good ?? 0, { outcome: 'good' });
          r.observe(c?.bad ?? 0, { outcome: 'bad' });
          r.observe(c?.malformed ?? 0, { outcome: 'malformed' });
          r.observe(c?.badcookieSent ?? 0, { outcome: 'badcookie_sent' });
        });
      meter.createObservableCounter('anypick.dns.tcp_connections', { description: 'DNS TCP connections accepted' })
        .addCallback((r) => r.observe(dns().tcpConnections ?? 0));
      meter.createObservableCounter('anypick.dns.tcp_refused', { description: 'DNS TCP connections refused at accept, by limit' })
        .addCallback((r) => { for (const [reason, n] of Object.entries(dns().tcpRefused ?? {})) r.observe(n, { reason }); });
      meter.createObservableCounter('anypick.dnssec.signatures', { description: 'RRSIGs made by online signing, by zone and algorithm' })
        .addCallback((r) => {
          for (const [zone, c] of Object.entries(dns().dnssec ?? {})) for (const [alg, n] of Object.entries(c.signatures)) r.observe(n, { zone, algorithm: ALGORITHM_LABEL[alg] ?? alg });
        });
      meter.createObservableCounter('anypick.dnssec.signature_cache_hits', { description: 'RRsets whose signatures came from the signature cache, by zone' })
        .addCallback((r) => { for (const [zone, c] of Object.entries(dns().dnssec ?? {})) r.observe(c.cacheHits, { zone }); });
      meter.createObservableCounter('anypick.dnssec.signing_errors', { description: 'RRsets left unsigned (no active key, a key failing to sign), by zone' })
        .addCallback((r) => { for (const [zone, c] of Object.entries(dns().dnssec ?? {})) r.observe(c.errors, { zone }); });
      meter.createObservableCounter('anypick.dns.tcp_closed', { description: 'DNS TCP connections closed by the server, by limit' })
        .addCallback((r) => { for (const [reason, n] of Object.entries(dns().tcpClosed ?? {})) r.observe(n, { reason }); });
      meter.createObservableCounter('anypick.dnstap.sent', { description: 'dnstap messages written to the collector (serve --dnstap)' })
        .addCallback((r) => {
          const d = dns().dnstap;
          if (d) r.observe(d.sent);
        });
      meter.createObservableCounter('anypick.dnstap.dropped', { description: 'dnstap messages dropped because the collector was absent or slow (queue full) or at shutdown' })
        .addCallback((r) => { for (const [reason, n] of Object.entries(dns().dnstap?.dropped ?? {})) r.observe(n, { reason }); });
    }
  }

  /** IngestObserver: records accepted/rejected by signal. */
  ingest(signal: 'logs' | 'metrics', outcome: 'accepted' | 'rejected', n: number): void {
    if (n > 0) this.ingestCounter.add(n, { signal, outcome });
  }

  /** IngestObserver: a refused request. */
  refused(status: number): void {
    this.refusedCounter.add(1, { status: String(status) });
  }

  /** IngestObserver: records of `member` rejected as stale or from the future. */
  timeRejected(member: string, reason: 'stale' | 'future', n: number): void {
    if (n > 0) this.timeCounter.add(n, { member, reason });
  }

  /** IngestObserver: `anypick.client.rtt` points refused. */
  latencyRejected(reason: string, n: number): void {
    if (n > 0) this.latencyCounter.add(n, { reason });
  }

  /** Counts one DNS answer that named `member` (called by the datacenter pick responder). */
  answer(service: string, member: string, n = 1): void {
    this.answersCounter.add(n, { service, member });
  }

  /** Flushes and stops the readers. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
