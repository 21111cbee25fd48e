import { expect } from 'chai';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExportResult } from '@opentelemetry/core';
import { DEFAULT_WEIGHT_PARAMS } from '../../src/signals/weight';
import { startTestReceiver, TOKEN_DC1 } from './helpers';
import { DC1_RESOURCE } from './otel-bodies';

/** Emits events through the SDK and returns the finished records, as an application would. */
async function records(events: Array<{ eventName: string; attributes: Record<string, string | number> }>): Promise<ReadableLogRecord[]> {
  const mem = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(DC1_RESOURCE), processors: [new SimpleLogRecordProcessor({ exporter: mem })] });
  for (const e of events) provider.getLogger('member').emit(e);
  await provider.forceFlush();
  return mem.getFinishedLogRecords();
}

class CollectOnce extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function utilization(value: number): Promise<ResourceMetrics> {
  const reader = new CollectOnce();
  const provider = new MeterProvider({ resource: resourceFromAttributes(DC1_RESOURCE), readers: [reader] });
  provider.getMeter('member').createObservableGauge('anypick.utilization').addCallback((r) => r.observe(value));
  return (await reader.collect()).resourceMetrics;
}

function exportLogs(exp: LogRecordExporter, recs: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => exp.export(recs, resolve));
}

function exportMetrics(exp: PushMetricExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exp.export(rm, resolve));
}

describe('signals/interop: the official OpenTelemetry JS OTLP exporters', function () {
  let t: Awaited<ReturnType<typeof startTestReceiver>>;
  beforeEach(async () => { t = await startTestReceiver({ weight: { ...DEFAULT_WEIGHT_PARAMS, slowStartWindowMs: 0 } }); });
  afterEach(async () => t.close());
  const headers = { authorization: `Bearer ${TOKEN_DC1}` };
  const dc1 = () => t.registry.get('datacenter', 'my-service', 'datacenter-1')!;

  const flavours = [
    { name: 'OTLP/HTTP JSON (exporter-*-otlp-http)', Logs: JsonLogExporter, Metrics: JsonMetricExporter },
    { name: 'OTLP/HTTP protobuf (exporter-*-otlp-proto)', Logs: ProtoLogExporter, Metrics: ProtoMetricExporter },
  ];
  for (const f of flavours) {
    it(`${f.name}: presence, readiness, utilization and leaving are applied`, async () => {
      const logs = new f.Logs({ url: `${t.url}/v1/logs`, headers });
      const metrics = new f.Metrics({ url: `${t.url}/v1/metrics`, headers });
      let r = await exportLogs(logs, await records([
        { eventName: 'presence', attributes: { state: 'up' } },
        { eventName: 'readiness', attributes: { 'capacity.ready': 1, 'capacity.total': 2 } },
      ]));
      expect(r.code, String(r.error)).to.equal(ExportResultCode.SUCCESS);
      expect(dc1()).to.deep.equal({ present: true, ready: true, factor: 0.5 });
      r = await exportMetrics(metrics, await utilization(0.5));
      expect(r.code, String(r.error)).to.equal(ExportResultCode.SUCCESS);
      expect(dc1().factor).to.equal(0.25);
      r = await exportLogs(logs, await records([{ eventName: 'presence', attributes: { state: 'leaving' } }]));
      expect(r.code).to.equal(ExportResultCode.SUCCESS);
      expect(dc1().present).to.equal(false);
      await logs.shutdown();
      await metrics.shutdown();
    });

    it(`${f.name}: a forged token fails the export and changes nothing`, async () => {
      const logs = new f.Logs({ url: `${t.url}/v1/logs`, headers: { authorization: 'Bearer forged-token-000000000000' } });
      const r = await exportLogs(logs, await records([{ eventName: 'presence', attributes: { state: 'up' } }]));
      expect(r.code).to.equal(ExportResultCode.FAILED);
      expect(String(r.error)).to.match(/Unauthorized|401/);
      expect(dc1().present).to.equal(false);
      await logs.shutdown();
    });
  }

  it('env-only configuration: OTEL_RESOURCE_ATTRIBUTES with anypick.port=8000 (a string) sets the port', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=my-service,anypick.tier=datacenter,anypick.service=my-service,anypick.member=datacenter-1,anypick.address=2001:db8:ae21:7700::1,anypick.port=8000',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${t.url}/v1/logs`,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${TOKEN_DC1}`,
    });
    try {
      const resource = detectResources({ detectors: [envDetector] });
      expect(resource.attributes['anypick.port']).to.equal('8000'); // the SDK reads every env attribute as a string
      const exporter = new ProtoLogExporter();
      const provider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter })] });
      provider.getLogger('member').emit({ eventName: 'presence', attributes: { state: 'up' } });
      await provider.forceFlush();
      await provider.shutdown();
      expect(dc1()).to.deep.include({ present: true, address: '2001:db8:ae21:7700::1', port: 8000 });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
