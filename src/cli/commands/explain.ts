import { isIpAddress } from '../../util/ip';
import { loadPaths } from '../../config/load';
import type { ZoneDnssec } from '../../config/load';
import { keyLines } from '../../dnssec/report';
import { networkOf, parseAddress } from '../../util/ip';
import type { ClientInfo } from '../../dns/dynamic';
import { DatacenterResponder } from '../../pick/datacenter-responder';
import { datacenterServices } from '../../pick/datacenter-services';
import { explainJson, explainText } from '../../pick/explain-format';
import { GEOIP_DB_OPTION, openGeoOption } from '../geo-option';
import { seededRandom } from '../../pick/random';
import { memberStateFromStatus } from '../../status/live-state';
import type { MemberStatus } from '../../status/types';
import type { MemberStateSource } from '../../model/member-state';
import type { LatencyEstimate, LatencySource } from '../../model/latency';
import { DEFAULT_NETWORK_PREFIXES } from '../../util/network-key';
import { DEFAULT_HTTP_LISTEN as DEFAULT_HTTP } from './serve-signals';
import { baseUrl } from './status';
import { EXIT, stringOption, UsageError } from '../command';
import type { Command } from '../command';

/** Default paths, as `anypick check` and `serve`. */
const DEFAULT_PATHS = ['zones', 'bgp'];

/** The live member state of a running serve, from its `/status.json`. */
async function liveState(spec: string): Promise<MemberStateSource> {
  const url = `${baseUrl(spec)}/status.json`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  } catch (err) {
    throw new UsageError(`--live: cannot reach anypick serve at ${url}: ${(err as Error).message} (give its --http address with --http ADDR:PORT)`);
  }
  if (!res.ok) throw new UsageError(`--live: ${url}: HTTP ${res.status}`);
  const body = (await res.json()) as { members?: MemberStatus[] };
  if (!Array.isArray(body.members)) throw new UsageError(`--live: ${url} has no members: is it anypick serve's --http address?`);
  return memberStateFromStatus(body.members);
}

/**
 * The measured latencies a running serve holds for the client's network (its `/latency.json`),
 * as a latency source for the one decision explain makes.
 */
async function liveLatency(spec: string, client: ClientInfo): Promise<LatencySource> {
  const url = `${baseUrl(spec)}/latency.json?network=${encodeURIComponent(client.ecs?.address ?? client.address)}`;
  let body: { prefixes?: { v4: number; v6: number }; estimates?: Array<{ datacenter: string; rttMs: number; samples: number; ageSeconds: number }>; error?: string };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new UsageError(`--live: cannot read the latency map at ${url}: ${(err as Error).message}`);
  }
  if (body.error) throw new UsageError(`--live: ${url}: ${body.error}`);
  const now = Date.now();
  const estimates: LatencyEstimate[] = (body.estimates ?? []).map((e) => ({ datacenter: e.datacenter, rttMs: e.rttMs, samples: e.samples, lastSeen: now - e.ageSeconds * 1000 }));
  return { version: 0, prefixes: body.prefixes ?? DEFAULT_NETWORK_PREFIXES, get: () => (estimates.length ? estimates : undefined) };
}

/** Parses `--client ADDR` (querying address) or `ADDR/LEN` (an EDNS Client Subnet). */
export function parseClient(text: string): ClientInfo {
  const [addr, len, extra] = text.split('/');
  const fam = isIpAddress(addr);
  if (fam === 0 || extra !== undefined) throw new UsageError(`--client ${text}: expected ADDR or ADDR/LEN, e.g. 10.3.0.1 or 2001:db8:3::/48`);
  const family = fam === 4 ? 4 : 6;
  if (len === undefined) return { address: addr, family };
  const n = Number(len);
  if (!/^\d+$/.test(len) || n > (family === 4 ? 32 : 128)) throw new UsageError(`--client ${text}: prefix length must be 0..${family === 4 ? 32 : 128}`);
  // RFC 7871 §6: the ECS address carries the source prefix with the host bits zeroed.
  const address = networkOf(parseAddress(addr), n).split('/')[0];
  return { address: family === 4 ? '127.0.0.1' : '::1', family, ecs: { family: family === 4 ? 1 : 2, sourcePrefix: n, address } };
}

/** `anypick explain NAME --client ADDR[/LEN]`: why a datacenter pick answers what it does. */
export const explainCommand: Command = {
  name: 'explain',
  summary: 'show how a datacenter pick answers a client (location, groups, weights, reason)',
  usage: `Usage: anypick explain NAME --client ADDR[/LEN] [--type AAAA|A] [PATH…] [--geoip-db FILE]... [--live [--http ADDR:PORT]] [--json]

Runs the datacenter pick (internet-location-then-dynamic-weight) named NAME — the service name
(my-service) or the DNS name it answers (example.com) — for one client and prints the decision:
the client's location and matched geo network, every member with its location (explicit or
from the geo database), distance, group, weights (static × factor) and readiness, the pick, the
reason, the answer and the ECS scope the reply would carry.

  --client ADDR        the querying address (no EDNS Client Subnet)
  --client ADDR/LEN    an EDNS Client Subnet of LEN bits
  --type A|AAAA        query type (default AAAA)
  --geoip-db FILE      geo database (repeatable, e.g. IPv4 and IPv6 files; default
                       geo-data/sample.mmdb; 'none' for no database)
  --live               judge members by a running anypick serve's live state (readiness,
                       factors, reported addresses) from its /status.json, and for
                       measured-latency-then-dynamic-weight by the latencies it measured for
                       the client's network (its /latency.json)
  --http ADDR:PORT     that serve's --http address (default ${DEFAULT_HTTP})
  --json               print the decision as JSON (see docs/datacenter-pick.md)

PATHs are zone and delivery files or directories (default: ${DEFAULT_PATHS.join(' ')}); with
--live give the serve's own PATHs and --geoip-db. Without --live members are judged from
static config: all ready, factor 1. With several picks of equal weight the choice is random;
the explanation shows one draw.
Exit codes: 0 ok, 1 files have errors or NAME is not a datacenter pick, 2 usage, 3 geo database unreadable.`,
  options: {
    client: { type: 'string' },
    type: { type: 'string' },
    ...GEOIP_DB_OPTION,
    json: { type: 'boolean' },
    live: { type: 'boolean' },
    http: { type: 'string' },
  },
  async run(values, positionals) {
    const [name, ...rest] = positionals;
    /** The signed zone serving `owner`, with its keys as check prints them. */
    const signingOf = (signed: Map<string, ZoneDnssec>, owner: string): { zone: string; keys: string[] } | undefined => {
      const zone = [...signed.keys()].filter((z) => owner === z || owner.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
      return zone === undefined ? undefined : { zone, keys: keyLines(signed.get(zone)!.keys, Math.floor(Date.now() / 1000)) };
    };
    if (!name) throw new UsageError('missing NAME (a datacenter-pick service or the DNS name it answers)');
    if (typeof values.client !== 'string') throw new UsageError('missing --client ADDR[/LEN]');
    const client = parseClient(values.client);
    const qtype = ((values.type as string | undefined) ?? 'AAAA').toUpperCase();
    if (qtype !== 'A' && qtype !== 'AAAA') throw new UsageError(`--type ${qtype}: expected A or AAAA`);

    const r = loadPaths(rest.length ? rest : DEFAULT_PATHS);
    if (r.errors.length) {
      for (const e of r.errors) process.stderr.write(e.format() + '\n');
      return EXIT.INVALID;
    }
    const specs = datacenterServices(r.model);
    const lname = name.toLowerCase().replace(/\.$/, '');
    const spec = specs.find((s) => s.service === name) ?? specs.find((s) => s.name === lname);
    if (!spec) {
      const known = specs.map((s) => `${s.service} (${s.name})`).join(', ') || 'none';
      process.stderr.write(`anypick explain: '${name}' is not a datacenter pick; known: ${known}\n`);
      return EXIT.INVALID;
    }
    if (values.http !== undefined && values.live !== true) throw new UsageError('--http needs --live');
    const state = values.live === true ? await liveState(stringOption(values, 'http') ?? DEFAULT_HTTP) : undefined;
    const geo = openGeoOption(values['geoip-db'], { watch: false });
    try {
      const latency = state && spec.latency ? await liveLatency(stringOption(values, 'http') ?? DEFAULT_HTTP, client) : undefined;
      const d = new DatacenterResponder(spec, { geo, state, latency, rand: seededRandom(Date.now()) }).decide(qtype, client);
      if (!d) {
        process.stderr.write(`anypick explain: ${spec.name} has no ${qtype} targets (no member has an IPv${qtype === 'A' ? 4 : 6} block); a ${qtype} query gets the zone's own data\n`);
        return EXIT.INVALID;
      }
      const j = { ...explainJson(spec, d, state ? 'live' : 'static'), dnssec: signingOf(r.dnssec, spec.name) };
      const signed = j.dnssec ? `\ndnssec: zone ${j.dnssec.zone} is signed online; answers to DO=1 queries carry RRSIGs (${j.dnssec.keys.join(', ')})` : '\ndnssec: not signed (its zone has no .dnssec settings file)';
      process.stdout.write((values.json ? JSON.stringify(j, null, 2) : explainText(j) + signed) + '\n');
      return EXIT.OK;
    } finally {
      geo?.close();
    }
  },
};
