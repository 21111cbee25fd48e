/**
 * Renders a datacenter decision for `anypick explain`: as text for people and as JSON for
 * scripts (the JSON shape is documented in docs/datacenter-pick.md).
 */
import type { DatacenterDecision } from './datacenter-responder';
import type { DcServiceSpec } from './datacenter-services';
import { DEFAULT_DATACENTER_OPTIONS } from './datacenter-strategy';

/** The JSON form of an explanation. */
export interface ExplainJson {
  service: string;
  name: string;
  qtype: string;
  options: { toleranceKm: number; answers: number; whenNoneReady: string; spillOver: boolean; sticky: boolean; ttl?: number };
  /** Where member state came from: static config (offline) or a running serve's live state. */
  state: 'static' | 'live';
  client: { address: string; source: 'ecs' | 'query'; subnet: string; network?: string; prefixLength?: number; found: boolean; location?: { lat: number; lon: number }; country?: string; continent?: string; label?: string };
  members: {
    name: string; location?: { lat: number; lon: number }; locationSource: string; geoNetwork?: string; distanceKm?: number;
    group?: number; ready: boolean; notReady?: string; staticWeight: number; factor: number; weight: number; dynamic: boolean;
    picked: boolean; stickyScore?: number; addresses: string[];
  }[];
  picked: string[];
  group?: number;
  lastResort?: string;
  /** Capacity spill-over: ready capacity per group, the client's hash, its group, the share of its region spilled. */
  spill?: { capacity: number[]; hash: number; landed: number; spilled: number };
  reason: string;
  answer: { name: string; type: string; ttl: number; data: string }[];
  ecsScope: number;
  /** measured-latency-then-dynamic-weight: what decided, the client network and its measurements. */
  latency?: DatacenterDecision['latency'];
}

/** Builds the JSON form. */
export function explainJson(spec: DcServiceSpec, d: DatacenterDecision, state: 'static' | 'live' = 'static'): ExplainJson {
  const g = d.client.geo;
  const placed = new Map(d.members.map((p) => [p.spec.name, p]));
  return {
    service: spec.service,
    name: spec.name,
    qtype: d.qtype,
    state,
    options: { ...DEFAULT_DATACENTER_OPTIONS, ...spec.options, sticky: spec.sticky, ...(spec.ttl !== undefined ? { ttl: spec.ttl } : {}) },
    client: {
      address: d.client.address, source: d.client.source, subnet: d.client.subnet, found: g?.found ?? false,
      ...(g ? { network: g.network, prefixLength: g.prefixLength } : {}),
      ...(g?.location ? { location: g.location } : {}),
      ...(g?.country ? { country: g.country } : {}), ...(g?.continent ? { continent: g.continent } : {}), ...(g?.label ? { label: g.label } : {}),
    },
    members: d.pick.ranking.map((r) => {
      const p = placed.get(r.name)!;
      return {
        name: r.name, location: p.location, locationSource: p.locationSource, geoNetwork: p.geoNetwork, distanceKm: r.distanceKm === undefined ? undefined : Math.round(r.distanceKm),
        group: r.group, ready: r.ready, notReady: r.notReady, staticWeight: r.staticWeight, factor: r.factor, weight: r.weight, dynamic: p.spec.dynamic,
        picked: r.picked, stickyScore: r.stickyScore, addresses: p.spec.targets.filter((t) => t.family === (d.qtype === 'A' ? 4 : 6)).map((t) => t.address),
      };
    }),
    picked: d.pick.picked.map((m) => m.name),
    group: d.pick.group,
    lastResort: d.pick.lastResort,
    ...(d.pick.spill ? { spill: d.pick.spill } : {}),
    reason: d.pick.reason,
    answer: d.records.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl, data: String(r.data) })),
    ecsScope: d.scopePrefix,
    ...(d.latency ? { latency: d.latency } : {}),
  };
}

/** The latency lines of the text form: the client network, what decided, each datacenter's measurement. */
function latencyLines(l: NonNullable<ExplainJson['latency']>): string[] {
  const est = [...l.estimates].sort((a, b) => a.rttMs - b.rttMs).map((e) => `${e.datacenter} ${Math.round(e.rttMs * 10) / 10} ms (${e.samples} samples, ${Math.round(e.ageMs / 1000)} s ago)`);
  return [
    `latency: ${l.network ?? 'no client network'}: ${l.decidedBy === 'latency' ? `measured latency decided${l.explored ? ' (this network explores: second-fastest group)' : ''}` : `location decided: ${l.why ?? ''}`}`,
    `         measured: ${est.length ? est.join(', ') : 'nothing for this network'}`,
  ];
}

const fmtLoc = (l?: { lat: number; lon: number }): string => (l ? `${l.lat},${l.lon}` : '-');

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

/** Renders the text form. */
export function explainText(j: ExplainJson): string {
  const c = j.client;
  const where = c.found
    ? `${c.network} → ${fmtLoc(c.location)}${c.country ? ` ${c.country}` : ''}${c.continent ? `/${c.continent}` : ''}${c.label ? ` (${c.label})` : ''}`
    : c.network ? `${c.network}: not in the geo database (location unknown)` : 'no geo database (location unknown)';
  const o = j.options;
  const lines = [
    `${j.name} ${j.qtype} (service ${j.service}, ${j.latency ? 'measured-latency-then-dynamic-weight' : 'internet-location-then-dynamic-weight'}${j.state === 'live' ? ', live state' : ''})`,
    `options: tolerance ${o.toleranceKm} km, answers ${o.answers}, when-none-ready ${o.whenNoneReady}, spill-over ${o.spillOver ? 'on' : 'off'}${o.sticky ? ', sticky client-subnet' : ''}${o.ttl !== undefined ? `, ttl ${o.ttl}` : ''}`,
    `client:  ${c.address} (${c.source === 'ecs' ? 'EDNS Client Subnet' : 'querying address'}), subnet ${c.subnet}`,
    `geo:     ${where}`,
    '',
    ...table([
      ['member', 'location', 'from', 'distance', 'group', 'ready', 'static', 'factor', 'weight', 'picked'],
      ...j.members.map((m) => [
        m.name, fmtLoc(m.location), m.locationSource === 'geo' ? `geo ${m.geoNetwork}` : m.locationSource,
        m.distanceKm === undefined ? '-' : `${m.distanceKm} km`, m.group === undefined ? '-' : String(m.group),
        m.ready ? 'yes' : `no (${m.notReady})`, String(m.staticWeight), `${m.factor}${m.dynamic ? '' : ' (static)'}`, String(Math.round(m.weight * 1000) / 1000),
        m.picked ? '*' : '',
      ]),
    ]),
    '',
    ...(j.spill ? [`spill:   ready capacity by group ${j.spill.capacity.map((c, n) => `${n + 1}: ${Math.round(c * 100)} %`).join(', ')}; client hash ${j.spill.hash.toFixed(3)} → group ${j.spill.landed}`] : []),
    ...(j.latency ? latencyLines(j.latency) : []),
    `reason:  ${j.reason}`,
    `answer:  ${j.answer.length ? j.answer.map((a) => `${a.name} ${a.ttl} IN ${a.type} ${a.data}`).join('\n         ') : '(empty: NODATA)'}`,
    `ECS scope: /${j.ecsScope}`,
  ];
  return lines.join('\n');
}
