/**
 * `anypick status`: asks a running `anypick serve` (its `--http` /status.json) and/or an
 * `anypick bgp` sidecar (its `--status-http` /status) how they are, and prints it for a person
 * (or as JSON). The exit code is a health verdict for scripts and monitoring.
 */
import { formatHostPort, parseHostPort } from '../../util/host-port';
import { EXIT, UsageError } from '../command';
import type { Command } from '../command';

/** Where `serve --http` listens by default. */
const DEFAULT_HTTP = '127.0.0.1:8053';

interface ServeStatus {
  node?: { name: string; version: string; startedAt: string; stateVersion?: string };
  members?: Array<{ tier: string; service: string; member: string; present: boolean; ready: boolean; utilization?: number; factor: number; staticWeight: number; effectiveWeight: number; source: string }>;
  dns?: { queries: number; byRcode: Record<string, number>; io?: string };
  bgp?: Array<{ neighbor: string; state: string; announced: string[]; unannounced?: { prefix: string; reason: string }[]; lastError?: string; lastTransition?: string }>;
}

interface BgpStatus {
  announcers: Array<{
    name: string;
    phase: string;
    prefixes: string[];
    check: { kind: string; healthy: boolean; lastResult: string | null };
    sessions: Array<{ neighbor: string; state: string; announced: string[]; unannounced?: { prefix: string; reason: string }[]; lastError: string | null; lastTransition: string }>;
  }>;
}

/** `ADDR:PORT` or `[V6]:PORT` to a base URL. */
export function baseUrl(spec: string): string {
  try {
    return `http://${formatHostPort(parseHostPort(spec, { names: true }))}`;
  } catch (err) {
    throw new UsageError(`${spec}: expected ADDR:PORT or [ADDR]:PORT (${(err as Error).message})`);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Problems that make the verdict unhealthy. */
export function problems(serve: ServeStatus | undefined, bgp: BgpStatus | undefined): string[] {
  const out: string[] = [];
  for (const [svc, ms] of groupBy(serve?.members ?? [], (m) => `${m.tier} ${m.service}`)) {
    if (!ms.some((m) => m.ready && m.effectiveWeight > 0)) out.push(`${svc}: no ready member`);
  }
  const sessions = [...(serve?.bgp ?? []), ...(bgp?.announcers ?? []).flatMap((a) => a.sessions)];
  for (const s of sessions) if (s.state !== 'Established') out.push(`bgp ${s.neighbor}: ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`);
  for (const s of sessions) for (const u of s.unannounced ?? []) out.push(`bgp ${s.neighbor}: ${u.prefix} not announced (${u.reason})`);
  for (const a of bgp?.announcers ?? []) if (a.phase !== 'up') out.push(`announcer ${a.name}: ${a.phase} (check ${a.check.kind}: ${a.check.lastResult ?? 'no result yet'})`);
  return out;
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/** The human-readable report. */
export function render(serve: ServeStatus | undefined, bgp: BgpStatus | undefined, issues: string[]): string {
  const lines: string[] = [];
  if (serve?.node) {
    const n = serve.node;
    lines.push(`node ${n.name} v${n.version}, up since ${n.startedAt}${n.stateVersion ? `, state ${n.stateVersion.slice(0, 12)}` : ''}`);
  }
  if (serve?.dns) {
    const rc = Object.entries(serve.dns.byRcode).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`dns: ${serve.dns.queries} queries${rc ? ` (${rc})` : ''}${serve.dns.io ? `, udp io ${serve.dns.io}` : ''}`);
  }
  if (serve?.members?.length) {
    lines.push('members:');
    for (const m of serve.members) {
      const util = m.utilization === undefined ? '' : ` util ${Math.round(m.utilization * 100)}%`;
      lines.push(`  ${m.tier.padEnd(10)} ${m.service.padEnd(16)} ${m.member.padEnd(16)} ${m.present ? 'present' : 'absent '} ${m.ready ? 'ready    ' : 'not-ready'} weight ${m.staticWeight}×${round(m.factor)}=${round(m.effectiveWeight)}${util} [${m.source}]`);
    }
  }
  const sessions = [...(serve?.bgp ?? []), ...(bgp?.announcers ?? []).flatMap((a) => a.sessions)];
  for (const a of bgp?.announcers ?? []) lines.push(`announcer ${a.name}: ${a.phase}, prefixes ${a.prefixes.join(' ') || '-'}, check ${a.check.kind} ${a.check.healthy ? 'healthy' : 'failing'}`);
  if (sessions.length) {
    lines.push('bgp sessions:');
    for (const s of sessions) lines.push(`  ${s.neighbor.padEnd(28)} ${s.state.padEnd(12)} announced ${s.announced.join(' ') || '-'}${s.lastTransition ? ` since ${s.lastTransition}` : ''}${s.lastError ? ` last error: ${s.lastError}` : ''}`);
  }
  lines.push(issues.length ? `UNHEALTHY:\n${issues.map((i) => `  ${i}`).join('\n')}` : 'healthy');
  return lines.join('\n');
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function run(values: Record<string, unknown>): Promise<number> {
  const httpSpec = values.http as string | undefined;
  const bgpSpec = values.bgp as string | undefined;
  const targets: Array<[string, string]> = [];
  if (httpSpec !== undefined || bgpSpec === undefined) targets.push(['serve', `${baseUrl(httpSpec ?? DEFAULT_HTTP)}/status.json`]);
  if (bgpSpec !== undefined) targets.push(['bgp', `${baseUrl(bgpSpec)}/status`]);
  let serve: ServeStatus | undefined;
  let bgp: BgpStatus | undefined;
  for (const [kind, url] of targets) {
    try {
      if (kind === 'serve') serve = await getJson<ServeStatus>(url);
      else bgp = await getJson<BgpStatus>(url);
    } catch (err) {
      process.stderr.write(`anypick status: cannot read ${url}: ${(err as Error).message}\n`);
      return EXIT.RUNTIME;
    }
  }
  const issues = problems(serve, bgp);
  if (values.json) process.stdout.write(JSON.stringify({ healthy: issues.length === 0, problems: issues, serve, bgp }, null, 2) + '\n');
  else process.stdout.write(render(serve, bgp, issues) + '\n');
  return issues.length === 0 ? EXIT.OK : EXIT.INVALID;
}

/** The `status` command. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show the state of a running serve and/or bgp sidecar (members, DNS, BGP sessions)',
  usage: `Usage: anypick status [--http ADDR:PORT] [--bgp ADDR:PORT] [--json]

Reads /status.json from anypick serve's --http address (default ${DEFAULT_HTTP}) and, with
--bgp, /status from an anypick bgp sidecar's --status-http address, and prints members per
tier with presence, readiness and weights, DNS counters, BGP sessions and announced prefixes.

Options:
  --http ADDR:PORT   anypick serve's --http address (default ${DEFAULT_HTTP})
  --bgp ADDR:PORT    anypick bgp's --status-http address (only the sidecar when --http is not given)
  --json             print the raw status and the verdict as JSON

Exit codes: 0 healthy; 1 unhealthy (a pick with no ready member, a BGP session not
Established, an announcer not announcing); 2 usage; 3 cannot reach the process.`,
  options: {
    http: { type: 'string' },
    bgp: { type: 'string' },
    json: { type: 'boolean' },
  },
  run,
};
