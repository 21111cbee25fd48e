/**
 * The decoded shape of the OTLP requests anypick reads, shared by the JSON and protobuf
 * decoders. Only the fields the signal schema needs are kept; times are milliseconds since the
 * Unix epoch (0 when unset), int64 values become JS numbers.
 */

/** An OTLP `AnyValue` as a plain JS value (`bytes` become Uint8Array, kvlists plain objects). */
export type AttrValue = string | number | boolean | Uint8Array | AttrValue[] | { [key: string]: AttrValue } | null;

/** Attributes keyed by name; the last value wins on duplicate keys. */
export type Attributes = Record<string, AttrValue>;

/** One `LogRecord` (logs.proto). */
export interface OtlpLogRecord {
  timeUnixMs: number;
  observedTimeUnixMs: number;
  severityNumber: number;
  eventName: string;
  body: AttrValue;
  attributes: Attributes;
}

/** One `ResourceLogs`: the resource attributes and every record of every scope. */
export interface OtlpResourceLogs {
  resource: Attributes;
  logRecords: OtlpLogRecord[];
}

/** `ExportLogsServiceRequest`. */
export interface OtlpLogsRequest {
  resourceLogs: OtlpResourceLogs[];
}

/** One `NumberDataPoint`; histogram and summary points are counted but not kept. */
export interface OtlpNumberPoint {
  timeUnixMs: number;
  value: number;
  attributes: Attributes;
}

/** One `Metric` with its kind and number points. */
export interface OtlpMetric {
  name: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary' | 'none';
  points: OtlpNumberPoint[];
  /** Data points of any kind (for `rejectedDataPoints`). */
  pointCount: number;
}

/** One `ResourceMetrics`: the resource attributes and every metric of every scope. */
export interface OtlpResourceMetrics {
  resource: Attributes;
  metrics: OtlpMetric[];
}

/** `ExportMetricsServiceRequest`. */
export interface OtlpMetricsRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

/** A body that is not a valid OTLP message in the claimed encoding (HTTP 400). */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  readonly code = 'E_OTLP_DECODE';
}

/** Nanoseconds (bigint) to milliseconds (number). */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1000000n) + Number(nanos % 1000000n) / 1e6;
}
