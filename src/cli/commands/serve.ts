/**
 * `anypick serve`: the authoritative DNS server over the zone and delivery files, reloaded on
 * SIGHUP and on file change. One small function per concern (options, loading, DNS, watching,
 * signals) so the geo database, signals receiver and BGP sidecar plug in beside them.
 */
import { existsSync, readdirSync, statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { hostname } from 'node:os';
import cluster from 'node:cluster';
import { loadPaths } from '../../config/load';
import { ZoneSigner } from '../../dnssec/signer';
import type { ZoneKey } from '../../dnssec/keys';
import type { Zone } from '../../zone/types';
import { startDnsServer } from '../../dns/server';
import type { DnsServer, ListenAddress } from '../../dns/server';
import { IO_CHOICES } from '../../dns/udp-batch';
import type { IoChoice } from '../../dns/udp-batch';
import { createLogger, LOG_LEVELS } from '../../util/log';
import type { Logger, LogLevel } from '../../util/log';
import { DatacenterPicks, DATACENTER_SERVE_OPTIONS, DATACENTER_SERVE_USAGE } from './serve-datacenter';
import type { DynamicResponder } from '../../dns/dynamic';
import { leaveCluster, parseWorkers, runsServerItself, superviseWorkers } from './serve-workers';
import { EXIT, UsageError, stringOption } from '../command';
import { startBgpFromPaths } from '../../bgp/in-process';
import { latencyView } from '../../signals/latency-map';
import { ServeSignals, SIGNALS_SERVE_OPTIONS, SIGNALS_SERVE_USAGE, startSignalsPrimary } from './serve-signals';
import { StatusHub } from '../../status/hub';
import { memberStatuses, startServeStatus } from '../../status/serve-status';
import { DASHBOARD_HTML } from '../../status/dashboard-page';
import { dashboardAssets } from '../../status/assets';
import { SERIES_POINTS, SERIES_STEP_MS, SeriesSampler, SeriesStore } from '../../status/series';
import { formatDuration, parseDuration } from '../../util/duration';
import { packageVersion } from '../../util/version';
import { parseHostPort } from '../../util/host-port';
import type { DeliveryModel } from '../../config/model';
import type { InProcessBgp } from '../../bgp/in-process';
import type { Command } from '../command';
import { DNS_GUARD_OPTIONS, DNS_GUARD_USAGE, dnsGuardFromOptions, reloadCookieSecret, shareCookieSecretWithWorkers } from './serve-dns-guard';
import type { DnsGuard } from './serve-dns-guard';
import { DNSTAP_SERVE_OPTIONS, DNSTAP_SERVE_USAGE, dnstapOptions, startDnstap } from './serve-dnstap';
import type { ServeDnstap } from './serve-dnstap';
import type { DnsObserver } from '../../dns/observer';

/** Paths served when none are given; missing defaults are skipped. */
export const DEFAULT_PATHS = ['zones', 'bgp'];
/** Default DNS listen address. */
export const DEFAULT_DNS = '127.0.0.1:5300';
/** Quiet time after the last file event before reloading. */
export const RELOAD_DEBOUNCE_MS = 250;

/** `--dns ADDR:PORT` (src/util/host-port.ts; an IP literal, port 0 allowed). */
export function parseListen(spec: string): ListenAddress {
  try {
    return parseHostPort(spec, { listen: true });
  } catch (err) {
    throw new UsageError(`--dns ${spec}: expected ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6), e.g. 127.0.0.1:5300 or [::1]:5300 (${(err as Error).message})`);
  }
}

/** What one load produced: zones to serve, the files and directories to watch, the errors. */
interface Loaded {
  zones: Zone[];
  /** Datacenter-pick responders built from the delivery model. */
  dynamic: DynamicResponder[];
  model: DeliveryModel;
  /** Directories to watch. */
  watch: string[];
  /** File names whose change means a reload: every file read, including `$INCLUDE`d ones. */
  names: Set<string>;
  errors: string[];
  /** Online signers of the signed zones (`X.dnssec` beside `X.zone`). */
  signers: Map<string, ZoneSigner>;
}

/** Adds `dir` and its subdirectories (fs.watch is not recursive everywhere; Node 20 on Linux polls). */
function addDirTree(dir: string, out: Set<string>, depth = 0): void {
  out.add(resolvePath(dir));
  if (depth > 8) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) addDirTree(join(dir, e.name), out, depth + 1);
}

/** The signed zones and their keys now, for the log: `example.com: KSK 5640 (13), ZSK 8245 (15)`. */
function signedSummary(signers: Map<string, ZoneSigner>): string[] {
  return [...signers.values()].map((s) => {
    const use = s.keysAt();
    const role = (k: ZoneKey): string => (use.ksk.includes(k) && use.zsk.includes(k) ? 'CSK' : use.ksk.includes(k) ? 'KSK' : use.zsk.includes(k) ? 'ZSK' : 'published');
    return `${s.zone}: ${use.published.map((k) => `${role(k)} ${k.tag} (alg ${k.algorithm})`).join(', ')}`;
  });
}

/** Loads every zone and delivery file under `paths` (`loadPaths`), completely, before anything is swapped. */
function loadData(paths: string[], explicit: boolean, picks: DatacenterPicks): Loaded {
  const present = explicit ? paths : paths.filter((p) => existsSync(p));
  const r = loadPaths(present);
  const watchSet = new Set<string>();
  for (const p of present) {
    try {
      if (statSync(p).isDirectory()) addDirTree(p, watchSet);
      else watchSet.add(resolvePath(dirname(p)));
    } catch {
      /* reported by loadPaths */
    }
  }
  const names = new Set<string>();
  const files = new Set<string>(r.files);
  for (const z of r.zones) for (const rec of z.records) files.add(rec.pos.file);
  for (const e of r.errors) files.add(e.pos.file);
  for (const f of files) {
    watchSet.add(resolvePath(dirname(f)));
    names.add(basename(f));
  }
  const dynamic = r.errors.length === 0 ? picks.responders(r.model) : [];
  const signers = new Map([...r.dnssec].map(([origin, d]) => [origin, new ZoneSigner(origin, d.keys, d.settings)]));
  return { zones: r.zones, dynamic, model: r.model, watch: [...watchSet], names, errors: r.errors.map((e) => e.format()), signers };
}

/** True when a change to `file` (a name inside a watched directory) can change what is served. */
function relevant(file: string | null, names: Set<string>): boolean {
  if (!file) return true;
  const b = basename(file);
  // New zone/delivery files, files already read, and (extension-less) directories; not editor or log noise.
  return /\.(zone|delivery)$/.test(b) || names.has(b) || !b.includes('.');
}

/** Watches directories and calls `onChange` once relevant events have been quiet for a while. */
function watchPaths(dirs: string[], names: Set<string>, logger: Logger, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const d of dirs) {
    try {
      const w = watch(d, (_event, file) => {
        if (!relevant(file, names)) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
      });
      w.on('error', (err) => logger.warn({ err, dir: d }, 'file watch failed'));
      watchers.push(w);
    } catch (err) {
      logger.warn({ err, dir: d }, 'cannot watch directory');
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

/** `--nsid ID`: the NSID payload (RFC 5001 allows up to an OPT's worth; we keep it short). */
function nsidOption(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError('--nsid: expected text');
  const id = v === 'hostname' ? hostname() : v;
  if (id.length === 0 || Buffer.byteLength(id) > 128) throw new UsageError(`--nsid ${id}: expected 1..128 bytes of text`);
  return id;
}

/** `--io auto|batch|dgram` (default auto). */
export function parseIo(v: string | undefined): IoChoice {
  if (v === undefined) return 'auto';
  if (!(IO_CHOICES as readonly string[]).includes(v)) throw new UsageError(`--io ${v}: expected one of ${IO_CHOICES.join(', ')}`);
  return v as IoChoice;
}

/**
 * Serves the DNS part: binds every `--dns` address. A worker of `--workers N` on the batch path
 * binds its own UDP socket with SO_REUSEPORT, so the kernel spreads queries over the workers.
 */
async function startDns(listen: ListenAddress[], zones: Zone[], logger: Logger, queryLog: boolean, io: IoChoice, dynamic: DynamicResponder[], nsid: string | undefined, guard: DnsGuard, signers: Map<string, ZoneSigner>, observer: DnsObserver | undefined): Promise<DnsServer> {
  const reusePort = cluster.isWorker;
  const dns = await startDnsServer({ listen, zones, logger, queryLog, dynamic, nsid, signers, rrl: guard.rrl, cookies: guard.cookies, tcp: guard.tcp, io, reusePort, observer });
  if (dns.io.reason) logger.info({ io: dns.io.mode, reason: dns.io.reason }, `udp io: ${dns.io.mode} (${dns.io.reason})`);
  // The message stays the same for scripts that wait for it; `io` and `udp` say how UDP is read.
  const udp = dns.io.mode === 'batch' ? `recvmmsg/sendmmsg${reusePort ? ', own SO_REUSEPORT socket' : ''}` : 'node:dgram';
  for (const a of dns.addresses()) logger.info({ host: a.host, port: a.port, io: dns.io.mode, udp }, 'dns listening (udp, tcp)');
  logger.info({
    rrl: guard.rrl ? { ratePerSecond: guard.rrl.rate, slip: guard.rrl.slip, ipv4Prefix: guard.rrl.ipv4Prefix, ipv6Prefix: guard.rrl.ipv6Prefix } : 'off',
    cookies: guard.cookies ? (guard.cookies.shared ? 'shared secret' : 'random secret (this process only)') : 'off',
    tcp: guard.tcp,
  }, 'dns protection');
  return dns;
}

/** Reloads: parse everything, then swap atomically; on any error keep the last good data. */
function reload(paths: string[], explicit: boolean, dns: DnsServer, logger: Logger, why: string, picks: DatacenterPicks, hub: StatusHub): Loaded | undefined {
  let loaded: Loaded;
  try {
    loaded = loadData(paths, explicit, picks);
  } catch (err) {
    logger.error({ err, why }, 'reload failed; still serving the last good data');
    return undefined;
  }
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) logger.error({ why, error: e }, `reload rejected: ${e}`);
    logger.error({ why, errors: loaded.errors.length }, 'reload failed; still serving the last good data');
    hub.event('reload failed', `${why}: ${loaded.errors[0]}${loaded.errors.length > 1 ? ` (+${loaded.errors.length - 1} more)` : ''}; still serving the last good data`);
    return undefined;
  }
  try {
    dns.update(loaded.zones, loaded.dynamic, loaded.signers);
  } catch (err) {
    logger.error({ err, why }, `reload rejected: ${(err as Error).message}; still serving the last good data`);
    return undefined;
  }
  logger.info({ why, zones: loaded.zones.map((z) => ({ origin: z.origin, serial: (z.soa.data as { serial?: number }).serial })) }, 'reloaded');
  hub.event('reload', `${why}: ${loaded.zones.map((z) => `${z.origin} serial ${(z.soa.data as { serial?: number }).serial}`).join(', ')}`);
  return loaded;
}

/** `--bgp`: the BGP announcer in this process (docs/bgp.md); undefined when off. */
async function startBgpOption(on: boolean, paths: string[], logger: Logger, dns: DnsServer): Promise<InProcessBgp | undefined> {
  if (!on) return undefined;
  try {
    return await startBgpFromPaths(paths, logger);
  } catch (err) {
    await dns.close();
    throw err;
  }
}

/** The operator's view: status hub, `/status.json`, the dashboard and `/metrics` on `--http`. */
async function startStatus(signals: ServeSignals, picks: DatacenterPicks, dns: DnsServer, bgp: InProcessBgp | undefined, tap: ServeDnstap | undefined, nsid: string | undefined, seriesStepMs: number): Promise<{ hub: StatusHub; status: { stop(): void } }> {
  const hub = new StatusHub(nsid ?? hostname(), packageVersion());
  const sessions = bgp ? () => bgp.sessions() : undefined;
  const series = new SeriesSampler(new SeriesStore({ stepMs: seriesStepMs }), {
    repliesByRcode: () => dns.counters().repliesByRcode,
    latency: () => dns.latency(),
    members: () => memberStatuses({ specs: () => picks.specs, state: signals.registry }),
    bgp: sessions,
  });
  const sampling = series.start();
  const serveStatus = startServeStatus({
    hub,
    specs: () => picks.specs,
    counts: picks.counts,
    state: signals.registry,
    stateVersion: signals.registry ? () => signals.registry!.digest() : undefined,
    dns: () => {
      const c = dns.counters();
      return {
        queries: Object.values(c.queriesByType).reduce((a, b) => a + b, 0),
        byRcode: c.repliesByRcode,
        byType: c.queriesByType,
        io: dns.io.mode,
        protection: { dropped: { malformed: c.dropped, rrl: c.rrl.dropped }, rrlSlipped: c.rrl.slipped, rrlCookieExempt: c.rrl.exempt, cookies: c.cookies, tcpRefused: c.tcpRefused, tcpClosed: c.tcpClosed },
      };
    },
    bgp: sessions,
    onAnswers: (service, member, n) => {
      signals.answer(service, member, n);
      series.addAnswers(service, member, n);
    },
  });
  const status = { stop: () => (serveStatus.stop(), sampling.stop()) };
  hub.event('start', `serving ${picks.specs.map((s) => s.name).join(', ') || 'static zones'}`);
  await signals.start(
    () => ({ ...dns.counters(), dnstap: tap?.counters() }),
    {
      status: () => hub.snapshot(),
      dashboard: DASHBOARD_HTML,
      json: { '/series.json': () => series.store.view(), '/traffic.json': () => picks.traffic.view(), '/latency.json': (q) => latencyView(signals.latency.current, q.get('network')) },
      assets: dashboardAssets(),
    },
    () => picks.geo?.databases.map((d) => ({ file: d.file, buildEpoch: d.buildEpoch })) ?? [],
  );
  return { hub, status };
}

/** `--series-step DURATION`: the dashboard's time between points (default 10s; 1 s at least). */
export function seriesStep(v: string | undefined): number {
  if (v === undefined) return SERIES_STEP_MS;
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (err) {
    throw new UsageError(`--series-step ${v}: ${(err as Error).message}`);
  }
  if (ms < 1000) throw new UsageError(`--series-step ${v}: expected at least 1s`);
  return ms;
}

const SERIES_POINTS_TEXT = `${SERIES_POINTS} points kept`;

/** Resolves on SIGTERM/SIGINT; calls `onHup` on SIGHUP. */
function handleSignals(onHup: () => void): Promise<string> {
  process.on('SIGHUP', onHup);
  return new Promise((done) => {
    const stop = (sig: string): void => done(sig);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

async function run(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level ${level}: expected one of ${LOG_LEVELS.join(', ')}`);
  const listen = ((values.dns as string[] | undefined) ?? [DEFAULT_DNS]).map(parseListen);
  const explicit = positionals.length > 0;
  const paths = explicit ? positionals : DEFAULT_PATHS;
  const nsid = nsidOption(values.nsid);
  const logger = createLogger(level as LogLevel);
  const workers = parseWorkers(values.workers);
  const io = parseIo(stringOption(values, 'io'));
  const guard = dnsGuardFromOptions(values);
  const tapOptions = dnstapOptions(values);
  if (!runsServerItself(workers)) {
    shareCookieSecretWithWorkers(values);
    // One member registry for every worker: the primary runs the receiver thread and relays state.
    const relay = await startSignalsPrimary(values, logger);
    try {
      return await superviseWorkers(workers, logger);
    } finally {
      await relay?.close();
    }
  }

  const signals = ServeSignals.create(values, logger, workers);
  const picks = DatacenterPicks.open(values['geoip-db'], logger, signals.registry, signals.latency);
  const first = loadData(paths, explicit, picks);
  if (first.errors.length > 0) {
    for (const e of first.errors) process.stderr.write(e + '\n');
    logger.error({ errors: first.errors.length }, 'cannot start: the files have errors');
    return EXIT.INVALID;
  }
  // Signals first: a restored state snapshot must be in place before the first answer.
  signals.configure(first.model);
  // Each process (each worker of --workers N) has its own collector connection.
  const tap = startDnstap(tapOptions, logger, nsid);
  let dns: DnsServer;
  try {
    dns = await startDns(listen, first.zones, logger, values['query-log'] === true, io, first.dynamic, nsid, guard, first.signers, tap?.observer);
  } catch (err) {
    await tap?.close();
    if ((err as { code?: string }).code !== 'E_IO_UNAVAILABLE') throw err;
    logger.error({ err }, (err as Error).message);
    process.stderr.write(`anypick serve: ${(err as Error).message}\n`);
    return EXIT.USAGE;
  }
  logger.info({ zones: first.zones.map((z) => z.origin), paths, signed: signedSummary(first.signers) }, 'serving');
  const bgp = await startBgpOption(values.bgp === true, paths, logger, dns);
  const { hub, status } = await startStatus(signals, picks, dns, bgp, tap, nsid, seriesStep(stringOption(values, 'series-step')));

  let unwatch = (): void => undefined;
  const doReload = (why: string): void => {
    const next = reload(paths, explicit, dns, logger, why, picks, hub);
    if (next) {
      signals.configure(next.model);
      unwatch();
      unwatch = watchPaths(next.watch, next.names, logger, () => doReload('file change'));
    }
  };
  unwatch = watchPaths(first.watch, first.names, logger, () => doReload('file change'));
  const sig = await handleSignals(() => {
    doReload('SIGHUP');
    reloadCookieSecret(values, guard.cookies, logger);
    signals.reload();
  });
  logger.info({ signal: sig }, 'shutting down');
  await bgp?.shutdown(sig === 'SIGTERM'); // SIGTERM drains while DNS still answers
  unwatch();
  status.stop();
  await signals.close();
  await dns.close();
  await tap?.close(); // after DNS: the last replies are sent, then STOP
  picks.close();
  leaveCluster();
  return EXIT.OK;
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the authoritative DNS server for the zone and delivery files',
  usage: `Usage: anypick serve [PATH...] [--dns ADDR:PORT]... [--log-level LEVEL] [--query-log]

Serves every *.zone (and *.delivery) file found in PATHs (files or directories, searched
recursively; default: ${DEFAULT_PATHS.join(' ')}). Reloads on SIGHUP and when a file changes: the
files are parsed completely and swapped in atomically; a broken file is logged with its
file:line:col and the last good data keeps serving. SIGTERM/SIGINT stop the server (exit 0).

Options:
  --dns ADDR:PORT     listen on UDP and TCP (repeatable; IPv6 as [::1]:5300; default ${DEFAULT_DNS})
  --log-level LEVEL   ${LOG_LEVELS.join(', ')} (default info); logs are pino JSON on stderr
  --query-log         log one line per query (info level)
  --nsid ID           identify this node in replies to queries that ask (RFC 5001 NSID;
                      dig +nsid); ID is text, e.g. the host name, or 'hostname'
  --series-step DUR   time between the dashboard's points (/series.json; ${SERIES_POINTS_TEXT});
                      default ${formatDuration(SERIES_STEP_MS)}
  --bgp               also run the BGP announcer of the files in this process (docs/bgp.md);
                      SIGTERM drains it before the DNS server stops
${DATACENTER_SERVE_USAGE}
${DNS_GUARD_USAGE}
${DNSTAP_SERVE_USAGE}
${SIGNALS_SERVE_USAGE}
  --io MODE           UDP I/O: batch (recvmmsg/sendmmsg through the native addon), dgram
                      (node:dgram, one datagram per call) or auto (default: batch when the
                      addon is built, else dgram; the start log says which and why)
  --workers N         run N server processes (node:cluster; default 1); on the batch path each
                      worker has its own UDP socket (SO_REUSEPORT), else they share one; with
                      signals the primary runs the receiver and relays member state to them

Exit codes: 0 stopped by signal, 1 the files have errors at start, 2 usage, 3 cannot bind.`,
  options: {
    dns: { type: 'string', multiple: true },
    'log-level': { type: 'string' },
    'query-log': { type: 'boolean' },
    nsid: { type: 'string' },
    bgp: { type: 'boolean' },
    'series-step': { type: 'string' },
    ...DATACENTER_SERVE_OPTIONS,
    ...DNS_GUARD_OPTIONS,
    ...DNSTAP_SERVE_OPTIONS,
    ...SIGNALS_SERVE_OPTIONS,
    workers: { type: 'string' },
    io: { type: 'string' },
  },
  run,
};
