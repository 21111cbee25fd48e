/**
 * `anypick proxy`'s metrics, `GET /metrics` on its `--status` endpoint: request counters of the
 * proxy and the tier's availability as it reports it upward, through the same OpenTelemetry
 * Prometheus exporter `anypick serve` and `anypick bgp` use (HELP/TYPE once per family, values
 * read at each scrape). Names and labels are listed in docs/operations.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ObservableResult } from '@opentelemetry/api';
import type { ProxyStats } from './proxy/server';
import type { Availability } from './signals/availability';

/** What a scrape reads: the counters (absent before the proxy runs), the availability, the ejections. */
export interface ProxyMetricsSource {
  tier: string;
  service: string;
  stats: () => ProxyStats | undefined;
  availability: () => Availability;
  ejected: () => number;
}

export class ProxyMetrics {
  private readonly prometheus = new PrometheusExporter({ preventServerStart: true });
  private readonly provider: MeterProvider;

  constructor(src: ProxyMetricsSource, instance = `pid-${process.pid}`) {
    this.provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'anypick-proxy', 'service.instance.id': instance }), readers: [this.prometheus] });
    const meter = this.provider.getMeter('anypick');
    const labels = { tier: src.tier, service: src.service };
    const count = (field: keyof ProxyStats) => (r: ObservableResult): void => r.observe(src.stats()?.[field] ?? 0, labels);
    meter.createObservableCounter('anypick.proxy.requests', { description: 'Requests received' }).addCallback(count('requests'));
    meter.createObservableCounter('anypick.proxy.forwarded', { description: 'Requests forwarded to a member' }).addCallback(count('forwarded'));
    meter.createObservableCounter('anypick.proxy.rejected', { description: 'Requests refused by admission (URI, OpenAPI) with a 4xx' }).addCallback(count('rejected'));
    meter.createObservableCounter('anypick.proxy.retries', { description: 'Requests retried on another member' }).addCallback(count('retries'));
    meter.createObservableCounter('anypick.proxy.gateway_errors', { description: 'Requests answered 502/503/504 (no member, member failed)' }).addCallback(count('gatewayErrors'));
    meter.createObservableCounter('anypick.proxy.client_errors', { description: 'Requests the client broke off or sent malformed' }).addCallback(count('clientErrors'));
    meter.createObservableGauge('anypick.proxy.tunnels_open', { description: 'Upgraded connections (WebSocket, CONNECT) open now' }).addCallback((r) => r.observe(src.stats()?.tunnelsOpen ?? 0, labels));
    meter.createObservableGauge('anypick.proxy.ready', { description: 'The tier reports itself ready upward (1) or not (0)' }).addCallback((r) => r.observe(src.availability().ready ? 1 : 0, labels));
    meter.createObservableGauge('anypick.proxy.readiness', { description: 'Readiness the tier reports upward (ready capacity fraction times mode factor, 0..1)' }).addCallback((r) => r.observe(src.availability().readiness, labels));
    meter.createObservableGauge('anypick.proxy.ejected_members', { description: 'Members ejected by passive health checking now' }).addCallback((r) => r.observe(src.ejected(), labels));
  }

  /** Serves a scrape. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.prometheus.getMetricsRequestHandler(req, res);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
