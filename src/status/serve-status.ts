/**
 * The status of a running `anypick serve` for `/status.json`, the dashboard and
 * `anypick status`: datacenter-pick members with their live (or static) state, answers per
 * member over time, DNS counters, in-process BGP sessions, and the changes between samples.
 */
import type { DcServiceSpec } from '../pick/datacenter-services';
import type { MemberLiveState, MemberStateSource } from '../model/member-state';
import type { AnswerCounts } from '../pick/answer-counts';
import type { StatusHub } from './hub';
import type { BgpSessionStatus, MemberStatus, NodeStatus } from './types';

/** What the composer reads. */
export interface ServeStatusSources {
  hub: StatusHub;
  /** The datacenter picks of the data being served now. */
  specs: () => DcServiceSpec[];
  counts: AnswerCounts;
  state?: MemberStateSource & { snapshot(): Array<{ tier: string; service: string; member: string } & MemberLiveState & { utilization?: number }> };
  dns?: () => NodeStatus['dns'];
  bgp?: () => BgpSessionStatus[];
  /** The fleet-comparable state digest (membership and weights). */
  stateVersion?: () => string;
  /** Called with the answers counted since the last sample (for the answers metric). */
  onAnswers?: (service: string, member: string, n: number) => void;
}

/** Members of every datacenter pick, then members only the signals know of. */
export function memberStatuses(s: Pick<ServeStatusSources, 'specs' | 'state'>): MemberStatus[] {
  const live = new Map((s.state?.snapshot() ?? []).map((m) => [`${m.tier}/${m.service}/${m.member}`, m]));
  const out: MemberStatus[] = [];
  for (const spec of s.specs()) {
    for (const m of spec.members) {
      const key = `datacenter/${spec.service}/${m.name}`;
      const state = s.state?.get('datacenter', spec.service, m.name);
      const util = live.get(key)?.utilization;
      live.delete(key);
      const factor = state ? (m.dynamic ? state.factor : state.ready ? 1 : 0) : 1;
      out.push({
        tier: 'datacenter',
        service: spec.service,
        member: m.name,
        present: state ? state.present : true,
        ready: state ? state.ready : true,
        utilization: util,
        factor,
        staticWeight: m.weight,
        effectiveWeight: m.weight * factor,
        address: state?.address ?? m.targets.map((t) => t.address).join(' '),
        source: state ? 'signals' : 'static',
      });
    }
  }
  for (const m of live.values()) {
    out.push({ tier: m.tier, service: m.service, member: m.member, present: m.present, ready: m.ready, utilization: m.utilization, factor: m.factor, staticWeight: 1, effectiveWeight: m.factor, address: m.address, source: 'signals' });
  }
  return out;
}

/**
 * Registers the providers with the hub and samples once a second: answers counted since the
 * last sample go into the hub's buckets, and changes of member or session state become events.
 */
export function startServeStatus(s: ServeStatusSources, periodMs = 1000): { stop(): void } {
  s.hub.provide({ members: () => memberStatuses(s), dns: s.dns, bgp: s.bgp, stateVersion: s.stateVersion });
  let lastMembers = new Map<string, string>();
  let lastSessions = new Map<string, string>();
  const sample = (): void => {
    for (const a of s.counts.drain()) {
      s.hub.addAnswers(a.member, a.n);
      s.onAnswers?.(a.service, a.member, a.n);
    }
    const members = new Map(memberStatuses(s).map((m) => [`${m.tier} ${m.service} ${m.member}`, m.present ? (m.ready ? 'ready' : 'not ready') : 'absent']));
    for (const [k, v] of members) if (lastMembers.size > 0 && lastMembers.get(k) !== v) s.hub.event('member', `${k}: ${lastMembers.get(k) ?? 'new'} → ${v}`);
    for (const [k, v] of lastMembers) if (!members.has(k)) s.hub.event('member', `${k}: ${v} → gone`);
    lastMembers = members;
    const sessions = new Map((s.bgp?.() ?? []).map((b) => [b.neighbor, `${b.state}${b.announced.length ? ` announcing ${b.announced.join(' ')}` : ''}`]));
    for (const [k, v] of sessions) if (lastSessions.get(k) !== v) s.hub.event('bgp', `${k}: ${v}`);
    lastSessions = sessions;
  };
  sample();
  const timer = setInterval(sample, periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
