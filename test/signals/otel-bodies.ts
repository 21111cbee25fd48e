import { gzipSync } from 'node:zlib';
import { JsonLogsSerializer, JsonMetricsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { AnyValueMap } from '@opentelemetry/api-logs';

/** Resource attributes of datacenter-1 as `anypick report` sets them. */
export const DC1_RESOURCE = {
  'service.name': 'my-service',
  'service.instance.id': 'datacenter-1-agent',
  'anypick.tier': 'datacenter',
  'anypick.service': 'my-service',
  'anypick.member': 'datacenter-1',
};

/**
 * Builds real OTLP bodies with the official SDK and @opentelemetry/otlp-transformer
 * serializers, so the protobuf encoding under test is the one real senders produce.
 */
export async function logsBody(
  resource: Record<string, string>,
  events: Array<{ eventName: string; attributes: AnyValueMap }>,
  encoding: 'proto' | 'json',
): Promise<Uint8Array> {
  const mem = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resource), processors: [new SimpleLogRecordProcessor({ exporter: mem })] });
  const logger = provider.getLogger('anypick-test');
  for (const e of events) logger.emit({ eventName: e.eventName, attributes: e.attributes });
  await provider.forceFlush();
  const records = mem.getFinishedLogRecords();
  const body = (encoding === 'proto' ? ProtobufLogsSerializer : JsonLogsSerializer).serializeRequest(records);
  await provider.shutdown();
  return body!;
}

class CollectOnce extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A metrics body with one gauge `name` = value (observable gauge, as `anypick report` sends). */
export async function gaugeBody(resource: Record<string, string>, name: string, value: number, encoding: 'proto' | 'json'): Promise<Uint8Array> {
  const reader = new CollectOnce();
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  provider.getMeter('anypick-test').createObservableGauge(name, { unit: '1' }).addCallback((r) => r.observe(value));
  const { resourceMetrics } = await reader.collect();
  const body = (encoding === 'proto' ? ProtobufMetricsSerializer : JsonMetricsSerializer).serializeRequest(resourceMetrics);
  await provider.shutdown();
  return body!;
}

/** gzip helper. */
export function gz(b: Uint8Array | string): Buffer {
  return gzipSync(typeof b === 'string' ? Buffer.from(b) : b);
}

export { ProtobufLogsSerializer, ProtobufMetricsSerializer };
