/**
 * The BGP sidecar's metrics through @opentelemetry/sdk-metrics and the same Prometheus exporter
 * `anypick serve` uses (src/telemetry/metrics.ts): observable gauges and counters read from the
 * announcers' status at each scrape. The exporter writes the exposition (HELP/TYPE once per
 * family, label values escaped); names and labels are listed in docs/operations.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ObservableResult } from '@opentelemetry/api';
import type { AnnouncerStatus, Counters } from './status';

const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** The announcers' metrics, collected from `status()` whenever they are read. */
export class BgpMetrics {
  readonly prometheus: PrometheusExporter;
  private readonly provider: MeterProvider;

  constructor(status: () => AnnouncerStatus[], instance = `pid-${process.pid}`) {
    this.prometheus = new PrometheusExporter({ preventServerStart: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'anypick-bgp', 'service.instance.id': instance }),
      readers: [this.prometheus],
    });
    const meter = this.provider.getMeter('anypick');
    const sessions = () => status().flatMap((a) => a.sessions.map((s) => ({ s, labels: { announcer: a.name, neighbor: s.neighbor } })));
    meter
      .createObservableGauge('anypick.bgp.session_state', {
        description: 'BGP FSM state (0 Idle, 1 Connect, 2 Active, 3 OpenSent, 4 OpenConfirm, 5 Established).',
      })
      .addCallback((r) => {
        for (const { s, labels } of sessions()) r.observe(STATES.indexOf(s.state), labels);
      });
    meter
      .createObservableGauge('anypick.bgp.announced_prefixes', { description: 'Prefixes currently announced to the neighbor.' })
      .addCallback((r) => {
        for (const { s, labels } of sessions()) r.observe(s.announced.length, labels);
      });
    meter
      .createObservableGauge('anypick.bgp.unannounced_prefixes', {
        description: 'Wanted prefixes the Established session cannot carry (family not negotiated, no next hop).',
      })
      .addCallback((r) => {
        for (const { s, labels } of sessions()) r.observe(s.unannounced.length, labels);
      });
    meter
      .createObservableGauge('anypick.bgp.last_transition_seconds', { description: "Unix time of the session's last state change." })
      .addCallback((r) => {
        for (const { s, labels } of sessions()) r.observe(Date.parse(s.lastTransition) / 1000, labels);
      });
    meter
      .createObservableGauge('anypick.bgp.check_healthy', { description: '1 while the DNS check passes, 0 after it failed.' })
      .addCallback((r) => {
        for (const a of status()) r.observe(a.check.healthy ? 1 : 0, { announcer: a.name });
      });
    // One counter per session counter (src/bgp/status.ts), named here in full so the names can
    // be found and checked against docs/operations.md.
    const count =
      (k: keyof Counters) =>
      (r: ObservableResult): void => {
        for (const { s, labels } of sessions()) r.observe(s.counters[k], labels);
      };
    meter.createObservableCounter('anypick.bgp.messages_sent', { description: 'BGP messages sent.' }).addCallback(count('messagesSent'));
    meter
      .createObservableCounter('anypick.bgp.messages_received', { description: 'BGP messages received.' })
      .addCallback(count('messagesReceived'));
    meter
      .createObservableCounter('anypick.bgp.updates_received', { description: 'UPDATE messages received.' })
      .addCallback(count('updatesReceived'));
    meter
      .createObservableCounter('anypick.bgp.prefixes_received', { description: 'Prefixes announced to us by the neighbor.' })
      .addCallback(count('prefixesReceived'));
    meter
      .createObservableCounter('anypick.bgp.treat_as_withdraw', {
        description: 'UPDATEs handled as withdraw for a malformed attribute (RFC 7606).',
      })
      .addCallback(count('treatAsWithdraw'));
    meter
      .createObservableCounter('anypick.bgp.attributes_discarded', { description: 'Malformed optional attributes discarded (RFC 7606).' })
      .addCallback(count('attributesDiscarded'));
    meter
      .createObservableCounter('anypick.bgp.malformed_received', { description: 'Messages that failed to decode.' })
      .addCallback(count('malformedReceived'));
    meter
      .createObservableCounter('anypick.bgp.notifications_sent', { description: 'NOTIFICATION messages sent.' })
      .addCallback(count('notificationsSent'));
    meter
      .createObservableCounter('anypick.bgp.notifications_received', { description: 'NOTIFICATION messages received.' })
      .addCallback(count('notificationsReceived'));
    meter
      .createObservableCounter('anypick.bgp.route_refreshes_received', { description: 'ROUTE-REFRESH requests answered (RFC 2918).' })
      .addCallback(count('routeRefreshesReceived'));
    meter
      .createObservableCounter('anypick.bgp.announcements_sent', { description: 'Announcements of the prefix sent.' })
      .addCallback(count('announcementsSent'));
    meter
      .createObservableCounter('anypick.bgp.withdrawals_sent', { description: 'Withdrawals of the prefix sent.' })
      .addCallback(count('withdrawalsSent'));
    meter
      .createObservableCounter('anypick.bgp.established_transitions', { description: 'Times the session reached Established.' })
      .addCallback(count('establishedTransitions'));
    meter
      .createObservableCounter('anypick.bgp.collisions', { description: 'Connection collisions resolved (RFC 4271 section 6.8).' })
      .addCallback(count('collisions'));
  }

  /** Serves a scrape (`GET /metrics`). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.prometheus.getMetricsRequestHandler(req, res);
  }

  /** The exposition text a scrape would get now. */
  async text(): Promise<string> {
    const { resourceMetrics } = await this.prometheus.collect();
    return new PrometheusSerializer().serialize(resourceMetrics);
  }

  /** Stops the meter provider. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** Prometheus text exposition of `all` (as `GET /metrics` would give it). */
export async function metricsText(all: AnnouncerStatus[]): Promise<string> {
  const m = new BgpMetrics(() => all);
  try {
    return await m.text();
  } finally {
    await m.shutdown();
  }
}
