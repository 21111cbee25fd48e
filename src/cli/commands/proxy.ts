/**
 * `anypick proxy`: runs the cluster pick of a datacenter, or (with --cluster) the service pick
 * of a cluster, from the same delivery file (docs/cascade.md). It receives its members' signals
 * (--signals) and publishes its own aggregated availability to the tier above (--report-to).
 */
import { readFileSync } from 'node:fs';
import { isIpAddress } from '../../util/ip';
import { loadPaths } from '../../config/load';
import { GeoDatabases } from '../../geo/databases';
import { AdmissionLoadError } from '../../l7/admission/admission';
import { TierNotFoundError } from '../../l7/from-model';
import { L7Proxy } from '../../l7/proxy/server';
import { HaproxyEngine } from '../../l7/haproxy/engine';
import { DEFAULT_PROXY_OPTIONS } from '../../l7/proxy/options';
import { ServicePickRoute } from '../../l7/service-pick/route';
import { LOOPBACK_PROXIES, TrustedProxies } from '../../l7/proxy/headers';
import type { DeliveryModel } from '../../config/model';
import { buildProxyTier } from './proxy-tier';
import type { ProxyTier, TierDeps, TierSelector } from './proxy-tier';
import { UpwardPublisher } from '../../l7/signals/upward';
import { LatencyReporter } from '../../signals/latency-reporter';
import { tcpRttReader } from '../../native/tcp-info';
import type { TcpRttReader } from '../../native/tcp-info';
import { startStatusServer } from '../../l7/status';
import { ProxyMetrics } from '../../l7/metrics';

/** Members ejected now, from the tier's ejection report (a list, or lists by cluster). */
function countEjected(e: unknown): number {
  if (Array.isArray(e)) return e.length;
  if (e && typeof e === 'object') return Object.values(e).reduce((n: number, v) => n + countEjected(v), 0);
  return 0;
}
import { registrySettings } from '../../signals/config';
import { signalsConfigFromModel } from '../../signals/from-model';
import { startSignalsReceiver } from '../../signals/receiver';
import { parseHostPort } from '../../util/host-port';
import type { SignalsReceiver } from '../../signals/receiver';
import { MemberRegistry } from '../../signals/registry';
import { routeOtelDiagnostics } from '../../signals/reporter';
import { TokenStore } from '../../signals/tokens';
import { signalsTls } from './serve-signals';
import { createLogger, LOG_LEVELS } from '../../util/log';
import { TlsCertificates, TlsLoadError } from '../../util/tls';
import type { Logger, LogLevel } from '../../util/log';
import { EXIT, UsageError, stringOption } from '../command';
import type { Command } from '../command';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function listenOf(text: string, flag: string): { host: string; port: number } {
  try {
    return parseHostPort(text, { listen: true, names: true });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

function portOf(v: string | undefined): number {
  if (v === undefined) return 80;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--upstream-port ${v}: want 1..65535`);
  return n;
}

/**
 * Reads `paths` again and builds the tier; undefined (logged, with file:line:col) when a file
 * has an error, the tier is gone or changed its identity towards the tier above.
 */
function reloadTier(paths: string[], sel: TierSelector, deps: TierDeps, current: ProxyTier, logger: Logger): (ProxyTier & { model: DeliveryModel }) | undefined {
  const why = 'SIGHUP';
  const failed = (): undefined => {
    logger.error({ why }, 'reload failed; still serving the last good configuration');
    return undefined;
  };
  const loaded = loadPaths(paths);
  if (loaded.errors.length) {
    for (const e of loaded.errors) logger.error({ why, error: e.format() }, `reload rejected: ${e.format()}`);
    return failed();
  }
  let next: ProxyTier;
  try {
    next = buildProxyTier(loaded.model, sel, deps);
  } catch (err) {
    if (!(err instanceof TierNotFoundError || err instanceof AdmissionLoadError)) throw err;
    logger.error({ why }, `reload rejected: ${err.message}`);
    return failed();
  }
  if (next.tier !== current.tier || next.service !== current.service || next.member !== current.member || next.scheme !== current.scheme) {
    const was = `${current.tier} ${current.service}/${current.member} (${current.scheme})`;
    const now = `${next.tier} ${next.service}/${next.member} (${next.scheme})`;
    logger.error({ why, was, now }, `reload rejected: the tier would change its name upward or its scheme (${was} → ${now}); restart the proxy to apply that`);
    return failed();
  }
  logger.info({ why, tier: next.what }, 'reloaded (passive-health ejections start afresh)');
  return { ...next, model: loaded.model };
}

function clusterOrService(values: Record<string, unknown>): boolean {
  return values.cluster !== undefined || values.service !== undefined;
}

async function run(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  try {
    return await runProxy(values, positionals);
  } catch (err) {
    // A tier missing from the files or a control that does not compile is invalid input.
    if (err instanceof TierNotFoundError || err instanceof AdmissionLoadError) {
      process.stderr.write(`anypick proxy: ${err.message}\n`);
      return EXIT.INVALID;
    }
    throw err;
  }
}

async function runProxy(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const level = (str(values['log-level']) ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level ${level}: want one of ${LOG_LEVELS.join(', ')}`);
  const dcName = str(values.datacenter);
  const topService = str(values.service);
  if (!dcName && !topService) throw new UsageError('--datacenter NAME (or --service NAME for a top-level service pick) is required');
  if (dcName && topService) throw new UsageError('give --datacenter or --service, not both');
  if (topService && values.cluster !== undefined) throw new UsageError('--cluster goes with --datacenter');
  const listen = listenOf(str(values.listen) ?? '', '--listen');
  const upstreamPort = portOf(str(values['upstream-port']));
  const reportTo = (values['report-to'] as string[] | undefined) ?? [];
  for (const u of reportTo) if (!/^https?:\/\/[^/]/.test(u)) throw new UsageError(`--report-to ${u}: want an http:// or https:// URL`);
  const token = str(values.token) ?? process.env.ANYPICK_TOKEN;
  if (reportTo.length && !token) throw new UsageError('--report-to needs --token TOKEN (or env ANYPICK_TOKEN)');

  let rttReader: TcpRttReader | undefined;
  if (values['report-client-rtt'] === true) {
    if (!reportTo.length) throw new UsageError('--report-client-rtt sends to the DNS tier: it needs --report-to URL');
    if (!dcName || values.cluster !== undefined) throw new UsageError("--report-client-rtt goes with --datacenter NAME (the datacenter tier's cluster pick): only a datacenter reports its clients' latency");
    if (stringOption(values, 'engine') === 'haproxy') throw new UsageError('--report-client-rtt measures on the Node engine (--engine node)');
    const r = tcpRttReader();
    if (!r.ok) throw new UsageError(`--report-client-rtt reads TCP_INFO: ${r.reason}`);
    rttReader = r.read;
  }
  const trusted = (values['trusted-proxy'] as string[] | undefined) ?? LOOPBACK_PROXIES;
  try {
    new TrustedProxies(trusted);
  } catch (err) {
    throw new UsageError(`--trusted-proxy: ${(err as Error).message}`);
  }
  const engineName = stringOption(values, 'engine') ?? 'node';
  if (engineName !== 'node' && engineName !== 'haproxy') throw new UsageError(`--engine ${engineName}: want node or haproxy`);
  if (engineName === 'haproxy' && !clusterOrService(values)) throw new UsageError('--engine haproxy runs a service pick (--cluster NAME or --service NAME); the cluster pick runs on the Node engine');
  const certFiles = (values['tls-cert'] as string[] | undefined) ?? [];
  const keyFiles = (values['tls-key'] as string[] | undefined) ?? [];
  if (certFiles.length !== keyFiles.length) throw new UsageError(`--tls-cert and --tls-key go in pairs (got ${certFiles.length} certificates, ${keyFiles.length} keys)`);
  let tls: TlsCertificates | undefined;
  if (certFiles.length) {
    try {
      tls = TlsCertificates.load(certFiles.map((cert, i) => ({ cert, key: keyFiles[i] })));
    } catch (err) {
      if (!(err instanceof TlsLoadError)) throw err;
      process.stderr.write(`anypick proxy: ${err.message}\n`);
      return EXIT.INVALID;
    }
  }
  const statusListen = values.status === undefined ? undefined : listenOf(stringOption(values, 'status')!, '--status');
  const logger = createLogger(level, 'anypick-proxy');
  routeOtelDiagnostics(logger);
  const paths = positionals.length ? positionals : ['zones'];
  const loaded = loadPaths(paths);
  if (loaded.errors.length) {
    for (const e of loaded.errors) process.stderr.write(e.format() + '\n');
    return EXIT.INVALID;
  }
  const model = loaded.model;
  const cfg = signalsConfigFromModel(model);
  const clusterName = str(values.cluster);

  let registry: MemberRegistry | undefined;
  let receiver: SignalsReceiver | undefined;
  let signalTokens: TokenStore | undefined;
  if (values.signals !== undefined) {
    const tokens = TokenStore.load(str(values.tokens));
    if (!tokens) throw new UsageError('--signals needs --tokens FILE (or env ANYPICK_TOKENS) to authenticate members');
    registry = new MemberRegistry(registrySettings(cfg));
    signalTokens = tokens;
  }
  if (values.signals === undefined && (values['signals-tls-cert'] !== undefined || values['signals-tls-key'] !== undefined)) {
    throw new UsageError('--signals-tls-cert/--signals-tls-key go with --signals ADDR:PORT');
  }
  const signalTlsFiles = values.signals !== undefined ? signalsTls(values) : undefined;
  const reportCaFile = str(values['report-ca']);
  let reportCa: Buffer | undefined;
  if (reportCaFile !== undefined) {
    try {
      reportCa = readFileSync(reportCaFile);
    } catch (err) {
      throw new UsageError(`--report-ca ${reportCaFile}: ${(err as Error).message}`);
    }
  }

  const outlier = { onEject: (key: string, ms: number, n: number) => logger.warn({ member: key, ejectedMs: ms, ejections: n }, 'passive health: member ejected') };
  const selector: TierSelector = { topService, datacenter: dcName, cluster: clusterName, member: str(values.member) };
  const geoFiles = (values['geoip-db'] as string[] | undefined) ?? [];
  const geo = geoFiles.length && !topService && !clusterName ? GeoDatabases.open(geoFiles, { log: logger }) : undefined;
  const deps = { registry, upstreamPort, outlier, geo };
  let current: ProxyTier;
  try {
    current = buildProxyTier(model, selector, deps);
  } catch (err) {
    geo?.close();
    registry?.close();
    throw err;
  }
  const { tier, service, member } = current;

  const opts = { scheme: current.scheme, trustedProxies: trusted, tls };
  let proxy: L7Proxy | undefined;
  let engine: HaproxyEngine | undefined;
  let port: number;
  let haproxyDied: ((code: number | null) => void) | undefined;
  if (engineName === 'haproxy') {
    if (!(current.route instanceof ServicePickRoute)) throw new UsageError('--engine haproxy runs a service pick');
    try {
      engine = new HaproxyEngine({ route: current.route, admission: current.admission, scheme: current.scheme, tls, proxy: { ...DEFAULT_PROXY_OPTIONS, ...opts }, log: logger, onExit: (code) => haproxyDied?.(code) });
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      throw new UsageError(`--engine haproxy: ${err.message}`);
    }
    port = await engine.listen(listen.port, listen.host).catch(async (err: unknown) => {
      await engine!.close();
      throw err;
    });
  } else {
    proxy = new L7Proxy(current.route, opts, logger);
    port = await proxy.listen(listen.port, listen.host);
  }
  let publisher: UpwardPublisher | undefined;
  let latency: LatencyReporter | undefined;
  let status: Awaited<ReturnType<typeof startStatusServer>> | undefined;
  let metrics!: ProxyMetrics;
  try {
    if (registry && signalTokens) receiver = await startSignalsReceiver({ listen: str(values.signals), registry, tokens: signalTokens, tls: signalTlsFiles, blocks: cfg.blocks, maxAgeMs: cfg.leaseMs, logger });
    if (reportTo.length) {
      const unspecified = listen.host === '0.0.0.0' || listen.host === '::';
      publisher = new UpwardPublisher({
        tier,
        service,
        member,
        address: isIpAddress(listen.host) && !unspecified ? listen.host : undefined,
        port,
        endpoints: reportTo,
        token: token!,
        ca: reportCa,
        intervalMs: cfg.reportIntervalMs,
        availability: () => current.availability(),
        logger,
      });
      publisher.start();
      if (rttReader && proxy) {
        const read = rttReader;
        const rtt = new LatencyReporter({ id: { tier, service, member }, endpoints: reportTo, token: token!, ca: reportCa, intervalMs: cfg.reportIntervalMs });
        latency = rtt;
        proxy.measureClients((peer) => {
          const m = read(peer);
          if (m && peer.remoteAddress) rtt.record(peer.remoteAddress, m.rttMs);
        });
      }
    }
    if (statusListen) {
      metrics = new ProxyMetrics({ tier: current.what, service, stats: () => proxy?.stats, availability: () => current.availability(), ejected: () => countEjected(current.ejected()) });
      status = await startStatusServer(statusListen.host, statusListen.port, () => ({
        tier: current.what,
        service,
        member,
        decision: current.decision(),
        ejected: current.ejected(),
        engine: engineName,
        requests: proxy?.stats,
        haproxy: engine ? { ...engine.stats, servers: engine.servers() } : undefined,
        tls: tls?.list(),
        availability: current.availability(),
        published: publisher?.last,
      }), (req, res) => metrics.handle(req, res));
    }
  } catch (err) {
    // Nothing may keep the process alive after a failed start.
    await publisher?.stop().catch(() => undefined);
    await latency?.stop().catch(() => undefined);
    await proxy?.close();
    await engine?.close();
    await receiver?.close();
    status?.server.close();
    registry?.close();
    throw err;
  }
  logger.info({ listen: `${listen.host}:${port}`, tls: tls?.list(), signals: receiver?.address(), reportTo, tier: current.what, service }, 'proxy listening');
  process.stdout.write(`anypick proxy: ${current.what} listening on ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}${receiver ? `, signals on ${receiver.address().address}:${receiver.address().port}` : ''}${status ? `, status on ${statusListen!.host}:${status.port}` : ''}\n`);

  // SIGHUP: read the files again and swap the tier in; any error keeps the last good one.
  const reload = (): void => {
    if (tls) {
      try {
        tls.reload();
        logger.info({ why: 'SIGHUP', tls: tls.list() }, 'TLS certificates reloaded');
        engine?.reloadCertificates().catch((err: unknown) => logger.error({ why: 'SIGHUP' }, `haproxy certificate update failed: ${(err as Error).message}`));
      } catch (err) {
        logger.error({ why: 'SIGHUP' }, `TLS reload rejected: ${(err as Error).message}; still serving the last good certificates`);
      }
    }
    const next = reloadTier(paths, selector, deps, current, logger);
    if (!next) return;
    if (engine && next.admission?.pattern?.text !== current.admission?.pattern?.text) {
      logger.error({ why: 'SIGHUP' }, 'reload rejected: --engine haproxy compiles admission into its configuration at start; restart the proxy to change the control');
      return;
    }
    current = next;
    proxy?.setRoute(next.route);
    if (engine) engine.setRoute(next.route as ServicePickRoute);
    registry?.configure(registrySettings(signalsConfigFromModel(next.model)));
  };
  // SIGHUP also rotates the members' tokens (from --tokens FILE) and re-reads the TLS files.
  const rotate = (): void => {
    const file = str(values.tokens);
    if (signalTokens && file) {
      try {
        const next = TokenStore.load(file)!;
        signalTokens.replaceWith(next);
        logger.info({ file, tokens: next.size }, 'tokens reloaded');
      } catch (err) {
        logger.error({ err: (err as Error).message }, `tokens not reloaded: ${(err as Error).message}; keeping the last good set`);
      }
    }
    try {
      receiver?.reloadTls();
    } catch (err) {
      logger.error({ err: (err as Error).message }, `TLS files not reloaded: ${(err as Error).message}; keeping the last good ones`);
    }
  };
  const onHup = (): void => {
    reload();
    rotate();
  };
  let exitCode: number = EXIT.OK;
  await new Promise<void>((resolve) => {
    haproxyDied = (code) => {
      logger.error({ code }, 'haproxy (the data plane) exited; stopping');
      exitCode = EXIT.RUNTIME;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHup);
      resolve();
    };
    const onSignal = (sig: string): void => {
      logger.info({ signal: sig }, 'stopping');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHup);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHup);
  });
  await publisher?.stop().catch(() => undefined);
  await latency?.stop().catch(() => undefined);
  await proxy?.close();
  await engine?.close();
  await new Promise((r) => (status ? status.server.close(() => r(undefined)) : r(undefined)));
  await receiver?.close();
  registry?.close();
  geo?.close();
  return exitCode;
}

/** `anypick proxy`. */
export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'run the cluster pick of a datacenter, or the service pick of a cluster (L7)',
  usage: `Usage: anypick proxy [PATH…] (--datacenter NAME [--cluster NAME] | --service NAME) --listen ADDR:PORT [options]

Runs one L7 tier of the delivery in PATH… (files or directories; default zones/):
  --datacenter NAME        the cluster pick of this datacenter (chooses a cluster by
                           internet-location-then-dynamic-weight, forwards to its service pick)
  --cluster NAME           instead, the service pick of this cluster of the datacenter
                           (priority-then-weight over its list, admission, passive health)
  --service NAME           instead of --datacenter: the service pick of a top-level
                           'service NAME:' with 'next-hop: list.NAME' (seed example 1)

Options:
  --listen ADDR:PORT       where to accept HTTP/1.1 and HTTP/2 (h2c, or h2 by ALPN with TLS;
                           port 0 = any free port)
  --tls-cert FILE          terminate TLS with this PEM certificate (repeatable; SNI chooses
  --tls-key FILE           among them, the first is the default); each with its key, in order
  --signals ADDR:PORT      receive the members' OTLP signals here (needs --tokens or ANYPICK_TOKENS)
  --tokens FILE            tokens of the members below: TOKEN TIER SERVICE MEMBER [BLOCK] per line
                           (re-read on SIGHUP; a bad file keeps the last good set)
  --signals-tls-cert FILE, --signals-tls-key FILE
                           serve --signals over HTTPS (PEM, re-read on SIGHUP)
  --signals-tls-client-ca FILE  also require client certificates from this CA (mTLS)
  --report-to URL          publish this tier's availability to the receiver above (repeatable)
  --token TOKEN            bearer token of this tier at the receiver above (or env ANYPICK_TOKEN)
  --report-client-rtt      with --datacenter: measure each client connection's TCP round trip (TCP_INFO)
                           and report it per client network (/24, /48) to --report-to as
                           anypick.client.rtt (docs/datacenter-pick.md, "Measured latency")
  --report-ca FILE         verify an https --report-to receiver against this PEM CA
  --member NAME            with --service: the member name reported upward (default NAME)
  --status ADDR:PORT       serve GET /status.json (decision, ejections, counters, last publication)
  --upstream-port N        port of dynamic members that report an address but no port (default 80)
  --trusted-proxy CIDR     peers whose Forwarded/X-Forwarded-* are believed (repeatable; default loopback)
  --geoip-db FILE          MMDB for client and cluster locations (cluster pick); repeatable
                           (IPv4 and IPv6 files: each address uses the files of its family)
  --engine node|haproxy    data plane of a service pick (default node): haproxy drives a local
                           HAProxy through its Runtime API (no OpenAPI body validation)
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info)

Exit codes: 0 stopped by a signal, 1 invalid delivery files, 2 usage, 3 runtime failure.`,
  options: {
    datacenter: { type: 'string' },
    cluster: { type: 'string' },
    service: { type: 'string' },
    member: { type: 'string' },
    listen: { type: 'string' },
    signals: { type: 'string' },
    tokens: { type: 'string' },
    'signals-tls-cert': { type: 'string' },
    'signals-tls-key': { type: 'string' },
    'signals-tls-client-ca': { type: 'string' },
    'report-ca': { type: 'string' },
    'report-to': { type: 'string', multiple: true },
    'report-client-rtt': { type: 'boolean' },
    token: { type: 'string' },
    'upstream-port': { type: 'string' },
    status: { type: 'string' },
    'trusted-proxy': { type: 'string', multiple: true },
    'geoip-db': { type: 'string', multiple: true },
    'log-level': { type: 'string' },
    engine: { type: 'string' },
    'tls-cert': { type: 'string', multiple: true },
    'tls-key': { type: 'string', multiple: true },
  },
  run,
};
