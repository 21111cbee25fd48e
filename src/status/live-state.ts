/**
 * The member state a running `anypick serve` reports in `/status.json`, as a MemberStateSource:
 * what `anypick explain --live` judges members by, so that it explains the live decision.
 */
import type { MemberLiveState, MemberStateSource } from '../model/member-state';
import { isIpAddress } from '../util/ip';
import type { MemberStatus } from './types';

/**
 * Builds a state source from `/status.json` members. Members the node judges from static
 * configuration (`source: 'static'`) have no live state, as in the node itself.
 */
export function memberStateFromStatus(members: readonly MemberStatus[]): MemberStateSource {
  const byKey = new Map<string, MemberLiveState>();
  for (const m of members) {
    if (m.source !== 'signals') continue;
    const s: MemberLiveState = { present: m.present === true, ready: m.ready === true, factor: Number.isFinite(m.factor) ? m.factor : 0 };
    // A reported address is one address; a static member shows its targets joined by spaces.
    if (typeof m.address === 'string' && isIpAddress(m.address) !== 0) s.address = m.address;
    byKey.set(`${m.tier}/${m.service}/${m.member}`, s);
  }
  return { version: 1, get: (tier, service, member) => byKey.get(`${tier}/${service}/${member}`) };
}
