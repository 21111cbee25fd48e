import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger as OtelLogger } from '@opentelemetry/api-logs';
import type { Logger } from '../util/log';
import { ATTR, UTILIZATION_METRIC } from './extract';
import type { MemberId } from './signal';
import type { ReadyCheck } from './probe';

/** Options of a Reporter: who it is, where it reports, where its values come from. */
export interface ReporterOptions {
  id: MemberId;
  address?: string;
  /** Port to reach the member at `address` (sent as `anypick.port`, only with an address). */
  port?: number;
  /** Base URLs of OTLP/HTTP receivers for events (`/v1/logs` is appended). */
  logEndpoints: string[];
  /** Base URLs for the utilization gauge (`/v1/metrics`); empty = none sent. */
  metricEndpoints: string[];
  token: string;
  /** PEM CA certificate(s) to verify https endpoints with (instead of the system store). */
  ca?: Buffer;
  intervalMs: number;
  /** Fixed ready fraction, used when no check is given. */
  ready?: number;
  check?: ReadyCheck;
  /** Current utilization 0..1, or undefined when unknown. */
  utilization?: () => Promise<number | undefined>;
  /** Errors since the last round (`count`/`total` or `ratio`), or undefined when unknown. */
  errors?: () => Promise<{ count: number; total: number } | { ratio: number } | undefined>;
  logger?: Logger;
}

/** The export outcome, typed through sdk-logs (its home, @opentelemetry/core, is not a dependency of ours). */
type ExportResult = Parameters<Parameters<LogRecordExporter['export']>[1]>[0];

/** Wraps an exporter to remember each export's outcome, so a round can tell failures. */
class RecordingLogExporter implements LogRecordExporter {
  failures: string[] = [];
  constructor(private readonly inner: LogRecordExporter, private readonly url: string) {}
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.inner.export(logs, (r) => {
      if (Number(r.code) !== 0) this.failures.push(`${this.url}: ${r.error?.message ?? 'export failed'}`);
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * The publishing side (`anypick report`): every interval one OTLP logs request per endpoint
 * carrying a `presence` (up) and a `readiness` event (and `errors` when known), and the
 * `anypick.utilization` gauge;
 * `stop()` sends `presence` leaving and flushes. Built on the OpenTelemetry JS SDK and its
 * OTLP/HTTP exporters, so any OTLP receiver (or a Collector) can sit in between.
 */
export class Reporter {
  private readonly logs: LoggerProvider;
  private readonly metrics: MeterProvider | undefined;
  private readonly otelLogger: OtelLogger;
  private readonly exporters: RecordingLogExporter[];
  private timer: NodeJS.Timeout | undefined;
  private lastUtilization: number | undefined;
  private running = false;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReporterOptions) {
    const attrs: Record<string, string | number> = {
      'service.name': opts.id.service,
      'service.instance.id': `${opts.id.member}-agent`,
      [ATTR.tier]: opts.id.tier,
      [ATTR.service]: opts.id.service,
      [ATTR.member]: opts.id.member,
    };
    if (opts.address) attrs[ATTR.address] = opts.address;
    if (opts.address && opts.port !== undefined) attrs[ATTR.port] = opts.port;
    const resource = resourceFromAttributes(attrs);
    const headers = { authorization: `Bearer ${opts.token}` };
    const timeoutMillis = Math.max(200, Math.min(opts.intervalMs, 10_000));
    // The exporters' agent options: a CA of our own for https endpoints (ignored by plain http).
    const tls = opts.ca ? { httpAgentOptions: { ca: opts.ca, keepAlive: true } } : {};
    this.exporters = opts.logEndpoints.map((base) => {
      const url = joinUrl(base, '/v1/logs');
      return new RecordingLogExporter(new OTLPLogExporter({ url, headers, timeoutMillis, ...tls }), url);
    });
    this.logs = new LoggerProvider({
      resource,
      processors: this.exporters.map((exporter) => new BatchLogRecordProcessor({
        exporter,
        // Rounds are flushed explicitly so presence and readiness travel in one request.
        scheduledDelayMillis: 3_600_000,
        exportTimeoutMillis: timeoutMillis,
      })),
    });
    this.otelLogger = this.logs.getLogger('anypick-report');
    if (opts.metricEndpoints.length > 0 && opts.utilization) {
      this.metrics = new MeterProvider({
        resource,
        readers: opts.metricEndpoints.map((url) => new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: joinUrl(url, '/v1/metrics'), headers, timeoutMillis, ...tls }),
          exportIntervalMillis: 3_600_000,
          exportTimeoutMillis: timeoutMillis,
        })),
      });
      this.metrics.getMeter('anypick-report')
        .createObservableGauge(UTILIZATION_METRIC, { unit: '1', description: 'Busiest resource of the member, 0..1' })
        .addCallback((r) => { if (this.lastUtilization !== undefined) r.observe(this.lastUtilization); });
    }
  }

  /** Sends one round: presence up, readiness, utilization; `failed` lists endpoints that refused the events. */
  async report(): Promise<{ ready: number; utilization?: number; errors?: object; failed?: string[] }> {
    const budget = Math.max(100, Math.floor(this.opts.intervalMs * 0.8));
    const ready = this.opts.check ? ((await this.opts.check(budget)) ? 1 : 0) : (this.opts.ready ?? 1);
    if (this.opts.utilization) this.lastUtilization = await this.opts.utilization();
    for (const e of this.exporters) e.failures = [];
    this.otelLogger.emit({ eventName: 'presence', attributes: { state: 'up' } });
    this.otelLogger.emit({ eventName: 'readiness', attributes: { ready } });
    const errors = this.opts.errors ? await this.opts.errors() : undefined;
    if (errors) this.otelLogger.emit({ eventName: 'errors', attributes: { ...errors } });
    await Promise.all([this.logs.forceFlush(), this.lastUtilization !== undefined ? this.metrics?.forceFlush() : undefined]);
    const out: { ready: number; utilization?: number; errors?: object; failed?: string[] } = { ready };
    if (this.lastUtilization !== undefined) out.utilization = this.lastUtilization;
    if (errors) out.errors = errors;
    const failed = this.exporters.flatMap((e) => e.failures);
    if (failed.length > 0) out.failed = failed;
    return out;
  }

  /** Reports now and then every interval until stop(). */
  start(): void {
    this.running = true;
    const loop = (): void => {
      if (!this.running) return;
      const t0 = Date.now();
      this.round = this.report().then(
        (r) => this.opts.logger?.debug(r, 'reported'),
        (err: unknown) => this.opts.logger?.warn({ err }, 'report round failed'),
      ).finally(() => {
        if (this.running) this.timer = setTimeout(loop, Math.max(0, this.opts.intervalMs - (Date.now() - t0)));
      });
    };
    loop();
  }

  /** Stops reporting, sends `presence` leaving (unless `leave` is false), flushes and shuts the SDK down. */
  async stop(leave = true): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    if (leave) this.otelLogger.emit({ eventName: 'presence', attributes: { state: 'leaving' } });
    await this.logs.forceFlush();
    await Promise.all([this.logs.shutdown(), this.metrics?.shutdown()]);
  }
}

/** Routes OpenTelemetry's own diagnostics (export failures, partial success) to pino. */
export function routeOtelDiagnostics(logger: Logger): void {
  diag.setLogger({
    error: (msg, ...args) => logger.error({ otel: args }, msg),
    warn: (msg, ...args) => logger.warn({ otel: args }, msg),
    info: (msg, ...args) => logger.info({ otel: args }, msg),
    debug: () => {},
    verbose: () => {},
  }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
