/**
 * `anypick report`: the agent a datacenter, cluster or service instance runs to push its
 * presence, readiness and utilization to the tier above (docs/signals.md).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { loadPaths } from '../../config/load';
import { parseDuration } from '../../util/duration';
import { signalsConfigFromModel } from '../../signals/from-model';
import { commandErrors, commandUtilization, parseCheck } from '../../signals/probe';
import { Reporter, routeOtelDiagnostics } from '../../signals/reporter';
import { TIERS } from '../../signals/signal';
import type { Tier } from '../../signals/signal';
import { createLogger, LOG_LEVELS } from '../../util/log';
import type { LogLevel } from '../../util/log';
import { EXIT, UsageError, stringOption } from '../command';
import type { Command } from '../command';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function fraction(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag} ${v}: want a number within 0..1`);
  return n;
}

/** Endpoints for events and for the gauge: --endpoint for both, else the delivery's channels. */
function endpoints(values: Record<string, unknown>): { logs: string[]; metrics: string[]; intervalMs?: number } {
  const given = (values.endpoint as string[] | undefined) ?? [];
  for (const e of given) {
    if (!/^https?:\/\/[^/]/.test(e)) throw new UsageError(`--endpoint ${e}: want an http:// or https:// URL`);
  }
  if (given.length > 0) return { logs: given, metrics: given };
  const delivery = (values.delivery as string[] | undefined) ?? [];
  if (delivery.length === 0) throw new UsageError('give --endpoint URL (repeatable) or --delivery FILE with channel endpoints');
  const loaded = loadPaths(delivery);
  if (loaded.errors.length > 0) throw new UsageError(loaded.errors.map((e) => e.format()).join('\n'));
  const cfg = signalsConfigFromModel(loaded.model);
  const of = (signals: string[]) => [...new Set(cfg.publish.filter((p) => signals.includes(p.signal)).flatMap((p) => cfg.channels.get(p.channel) ?? []))];
  const out = { logs: of(['presence', 'readiness', 'errors']), metrics: of(['utilization']), intervalMs: cfg.reportIntervalMs };
  if (out.logs.length === 0) throw new UsageError('the delivery binds no channel of presence/readiness to an endpoint (channel @NAME: endpoint "URL")');
  return out;
}

async function run(values: Record<string, unknown>): Promise<number> {
  const level = (str(values['log-level']) ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level ${level}: want one of ${LOG_LEVELS.join(', ')}`);
  const tier = str(values.tier);
  const service = str(values.service);
  const member = str(values.member);
  if (!tier || !(TIERS as readonly string[]).includes(tier)) throw new UsageError(`--tier: want one of ${TIERS.join(', ')}`);
  if (!service || !member) throw new UsageError('--service and --member are required');
  const token = str(values.token) ?? process.env.ANYPICK_TOKEN;
  if (!token) throw new UsageError('give --token TOKEN or set ANYPICK_TOKEN');
  const address = str(values.address);
  if (address !== undefined && isIP(address) === 0) throw new UsageError(`--address ${address}: not an IP address`);
  const portText = str(values.port);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`--port ${portText}: want 1..65535`);
  if (port !== undefined && address === undefined) throw new UsageError('--port goes with --address (the port where that address serves)');
  const eps = endpoints(values);
  const caFile = str(values.ca);
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw new UsageError(`--ca ${caFile}: ${(err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${caFile}: not a PEM certificate file`);
  }
  const errorsCmd = str(values['errors-cmd']);
  let intervalMs: number;
  try {
    intervalMs = values.interval !== undefined ? parseDuration(stringOption(values, 'interval')!) : (eps.intervalMs ?? 1000);
  } catch (err) {
    throw new UsageError(`--interval: ${(err as Error).message}`);
  }
  if (values.check !== undefined && values.ready !== undefined) throw new UsageError('give --check or --ready, not both');
  if (values.utilization !== undefined && values['utilization-cmd'] !== undefined) throw new UsageError('give --utilization or --utilization-cmd, not both');
  let check;
  try {
    check = values.check !== undefined ? parseCheck(stringOption(values, 'check')!) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const ready = values.ready !== undefined ? fraction(stringOption(values, 'ready')!, '--ready') : undefined;
  const fixedU = values.utilization !== undefined ? fraction(stringOption(values, 'utilization')!, '--utilization') : undefined;
  const uCmd = str(values['utilization-cmd']);
  const utilization = fixedU !== undefined ? async () => fixedU : uCmd !== undefined ? () => commandUtilization(uCmd, intervalMs) : undefined;

  const logger = createLogger(level, 'anypick-report');
  routeOtelDiagnostics(logger);
  const reporter = new Reporter({
    id: { tier: tier as Tier, service, member },
    address,
    port,
    logEndpoints: eps.logs,
    metricEndpoints: eps.metrics,
    token,
    ca,
    intervalMs,
    ready,
    check,
    utilization,
    errors: errorsCmd !== undefined ? () => commandErrors(errorsCmd, intervalMs) : undefined,
    logger,
  });
  if (values.once) {
    const r = await reporter.report();
    process.stdout.write(JSON.stringify(r) + '\n');
    await reporter.stop(false);
    return r.failed ? EXIT.RUNTIME : EXIT.OK;
  }
  logger.info({ member: `${tier}/${service}/${member}`, endpoints: eps, intervalMs }, 'reporting');
  reporter.start();
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      logger.info({ signal: sig }, 'leaving');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await reporter.stop();
  return EXIT.OK;
}

/** `anypick report`. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'push presence, readiness and utilization to the tier above over OTLP',
  usage: `Usage: anypick report --tier TIER --service NAME --member NAME (--endpoint URL… | --delivery FILE…) [options]

Runs beside a datacenter, cluster or service instance and pushes, every interval, a presence
event, a readiness event and (with --errors-cmd) an errors event (OTLP logs) and the
anypick.utilization gauge (OTLP metrics) to each
endpoint, with the OpenTelemetry JS SDK. On SIGTERM/SIGINT it sends a presence 'leaving' event,
so the member leaves the answers at once, and exits 0. Schema: docs/signals.md.

Options:
  --endpoint URL          OTLP/HTTP base URL of a receiver, e.g. http://127.0.0.1:4318 (repeatable)
  --delivery FILE         take endpoints from the delivery's publish rules and channel bindings
  --token TOKEN           bearer token bound to this member (prefer env ANYPICK_TOKEN)
  --ca FILE               verify https:// endpoints against this PEM CA (default: the system CAs)
  --tier TIER             ${TIERS.join(' | ')}
  --service NAME          the anypick service, e.g. my-service
  --member NAME           this member's name, e.g. datacenter-1
  --address ADDR          address to answer with (must lie inside the member's block)
  --port N                with --address: the port the L7 tier above reaches this member on
                          (default: that tier's --upstream-port)
  --interval DURATION     report interval (default: the delivery's report-interval, else 1s)
  --check SPEC            readiness from a local check: http://URL (200-399), tcp:HOST:PORT, exec:COMMAND
  --ready FRACTION        fixed readiness 0..1 (default 1 when no --check)
  --utilization U         fixed utilization 0..1
  --utilization-cmd CMD   utilization from the first number a command prints
  --errors-cmd CMD        errors since the last round from a command printing 'COUNT TOTAL' or a ratio
  --once                  send one round (no leaving report), print it, exit (3 if an endpoint refused it)
  --log-level LEVEL       ${LOG_LEVELS.join(', ')} (default info)

Exit codes: 0 stopped by signal (after leaving) or --once delivered, 2 usage, 3 --once not delivered.`,
  options: {
    endpoint: { type: 'string', multiple: true },
    delivery: { type: 'string', multiple: true },
    token: { type: 'string' },
    ca: { type: 'string' },
    tier: { type: 'string' },
    service: { type: 'string' },
    member: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string' },
    interval: { type: 'string' },
    check: { type: 'string' },
    ready: { type: 'string' },
    utilization: { type: 'string' },
    'utilization-cmd': { type: 'string' },
    'errors-cmd': { type: 'string' },
    once: { type: 'boolean' },
    'log-level': { type: 'string' },
  },
  run,
};
