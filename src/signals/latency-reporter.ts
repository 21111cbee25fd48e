/**
 * The sending side of client latency: the histogram `anypick.client.rtt` (ms, delta
 * temporality, RTT_BOUNDS_MS) per client network, exported over OTLP/HTTP with the member's
 * token through the OpenTelemetry SDK — what `anypick proxy` at the datacenter tier sends
 * (docs/datacenter-pick.md, "The metric"). Bounded: at most `maxNetworks` distinct networks per
 * export interval; connections of further networks are counted in `dropped` and not sent.
 */
import { OTLPMetricExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Histogram } from '@opentelemetry/api';
import { DEFAULT_NETWORK_PREFIXES, networkKeyOf, networkKeyText } from '../util/network-key';
import type { NetworkPrefixes } from '../util/network-key';
import { ATTR } from './extract';
import { CLIENT_NETWORK_ATTR, CLIENT_RTT_METRIC, MAX_RTT_MS, RTT_BOUNDS_MS } from './latency-extract';
import type { MemberId } from './signal';

/** Options of a LatencyReporter. */
export interface LatencyReporterOptions {
  id: MemberId;
  /** OTLP/HTTP base URLs (`/v1/metrics` is appended). */
  endpoints: string[];
  token: string;
  ca?: Buffer;
  /** Export interval, ms. */
  intervalMs: number;
  prefixes?: NetworkPrefixes;
  /** Distinct networks per interval (default 10,000). */
  maxNetworks?: number;
}

/** Records connection RTTs per client network and exports them every interval. */
export class LatencyReporter {
  private readonly provider: MeterProvider;
  private readonly histogram: Histogram;
  private readonly prefixes: NetworkPrefixes;
  private readonly maxNetworks: number;
  private networks = new Set<number>();
  private readonly texts = new Map<number, string>();
  /** Connections recorded, and not recorded because the interval's networks were full or the address was bad. */
  recorded = 0;
  dropped = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(o: LatencyReporterOptions) {
    this.prefixes = o.prefixes ?? DEFAULT_NETWORK_PREFIXES;
    this.maxNetworks = o.maxNetworks ?? 10_000;
    const headers = { authorization: `Bearer ${o.token}` };
    const tls = o.ca ? { httpAgentOptions: { ca: o.ca, keepAlive: true } } : {};
    const timeoutMillis = Math.max(200, Math.min(o.intervalMs, 10_000));
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({
        'service.name': o.id.service,
        'service.instance.id': `${o.id.member}-proxy`,
        [ATTR.tier]: o.id.tier,
        [ATTR.service]: o.id.service,
        [ATTR.member]: o.id.member,
      }),
      readers: o.endpoints.map((base) => new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base.replace(/\/+$/, '')}/v1/metrics`, headers, timeoutMillis, temporalityPreference: AggregationTemporalityPreference.DELTA, ...tls }),
        exportIntervalMillis: o.intervalMs,
        exportTimeoutMillis: timeoutMillis,
      })),
    });
    this.timer = setInterval(() => { this.networks = new Set(); }, o.intervalMs);
    this.timer.unref();
    this.histogram = this.provider.getMeter('anypick-proxy').createHistogram(CLIENT_RTT_METRIC, {
      unit: 'ms',
      description: 'TCP round-trip time of client connections, per client network',
      advice: { explicitBucketBoundaries: [...RTT_BOUNDS_MS] },
    });
  }

  /** One connection from `address` with round trip `rttMs`. */
  record(address: string, rttMs: number): void {
    if (!(rttMs >= 0 && rttMs <= MAX_RTT_MS)) { this.dropped++; return; }
    let key: number;
    try {
      key = networkKeyOf(address, this.prefixes);
    } catch {
      this.dropped++;
      return;
    }
    if (!this.networks.has(key)) {
      if (this.networks.size >= this.maxNetworks) { this.dropped++; return; }
      this.networks.add(key);
    }
    let text = this.texts.get(key);
    if (!text) {
      if (this.texts.size >= this.maxNetworks) this.texts.clear();
      text = networkKeyText(key, this.prefixes);
      this.texts.set(key, text);
    }
    this.histogram.record(rttMs, { [CLIENT_NETWORK_ATTR]: text });
    this.recorded++;
  }

  /** Exports what was recorded now (and starts a new interval's network budget). */
  async flush(): Promise<void> {
    this.networks = new Set();
    await this.provider.forceFlush();
  }

  /** Exports the rest and stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.provider.shutdown();
  }
}
