/**
 * Contracts shared by the pick strategies (src/pick), the member registry fed by signals
 * (src/signals) and the tiers that answer with a pick (src/dns, src/l7). The types live in
 * src/model (below every capability); this file re-exports them for the pick side.
 */
export type { GeoPoint } from '../model/geo-point';
export type { MemberLiveState, MemberStateSource } from '../model/member-state';
