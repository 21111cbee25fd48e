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

/** One `NumberDataPoint`; exponential-histogram and summary points are counted but not kept. */
export interface OtlpNumberPoint {
  timeUnixMs: number;
  value: number;
  attributes: Attributes;
}

/** One `HistogramDataPoint` (explicit bounds). */
export interface OtlpHistogramPoint {
  timeUnixMs: number;
  attributes: Attributes;
  count: number;
  /** NaN when unset. */
  sum: number;
  bucketCounts: number[];
  explicitBounds: number[];
  /** NaN when unset. */
  min: number;
  max: number;
}

/** `AggregationTemporality` (metrics.proto): 1 delta, 2 cumulative, 0 unspecified. */
export const TEMPORALITY_DELTA = 1;

/** One `Metric` with its kind and number points. */
export interface OtlpMetric {
  name: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary' | 'none';
  points: OtlpNumberPoint[];
  /** Points of an explicit-bounds histogram (kind 'histogram'). */
  histogram: OtlpHistogramPoint[];
  /** Aggregation temporality of a sum or histogram (0 when unset). */
  temporality: number;
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
  override readonly name: string = 'OtlpDecodeError';
  readonly code: string = 'E_OTLP_DECODE';
}

/** A body with more items than the receiver takes (HTTP 413): counted while decoding. */
export class OtlpLimitError extends OtlpDecodeError {
  override readonly name = 'OtlpLimitError';
  override readonly code = 'E_OTLP_LIMIT';
}

/** Count limits enforced while a body is decoded, so a small body cannot make unbounded work. */
export interface DecodeLimits {
  /** `ResourceLogs` / `ResourceMetrics` per request. */
  maxResources: number;
  /** Log records, or metric data points, per request. */
  maxRecords: number;
  /** Nesting of `AnyValue` (arrays and kvlists); deeper is a 400. */
  maxDepth: number;
}

/** 100 resources, 10,000 records or data points, AnyValue nesting 400. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxResources: 100, maxRecords: 10_000, maxDepth: 400 };

/** Counts items against DecodeLimits while decoding one request. */
export class DecodeBudget {
  private resources = 0;
  private records = 0;

  constructor(readonly limits: DecodeLimits = DEFAULT_DECODE_LIMITS) {}

  /** One more resource; throws OtlpLimitError past the limit. */
  resource(): void {
    if (++this.resources > this.limits.maxResources) throw new OtlpLimitError(`more than ${this.limits.maxResources} resources in one request`);
  }

  /** `n` more records or data points; throws OtlpLimitError past the limit. */
  record(n = 1): void {
    this.records += n;
    if (this.records > this.limits.maxRecords) throw new OtlpLimitError(`more than ${this.limits.maxRecords} log records / data points in one request`);
  }

  /** Checks an AnyValue nesting depth; throws OtlpDecodeError (400) past the limit. */
  depth(d: number): void {
    if (d > this.limits.maxDepth) throw new OtlpDecodeError(`AnyValue nested deeper than ${this.limits.maxDepth}`);
  }
}

/** Nanoseconds (bigint) to milliseconds (number). */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1000000n) + Number(nanos % 1000000n) / 1e6;
}
