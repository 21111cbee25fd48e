import { AFI, AS_TRANS, ORIGIN, SAFI, SEGMENT } from './wire/constants';
import { Prefix } from './wire/prefix';
import { Update } from './wire/update';
import type { PathAttribute } from './wire/attributes';
import type { NextHops } from './next-hop';

/** One route the caller wants announced (MetalLB style: callers state the desired routes). */
export interface Advertisement {
  /** `ADDR/LEN` */
  prefix: string;
  /** Communities as 32-bit values (`(high << 16) | low`). */
  communities?: number[];
  /** MULTI_EXIT_DISC. */
  med?: number;
  /** LOCAL_PREF, sent on iBGP sessions only (RFC 4271 §5.1.5). */
  localPref?: number;
  /** Extra copies of the local ASN prepended to AS_PATH (eBGP only). */
  prepend?: number;
}

/** Session facts that shape the UPDATE. */
export interface AdvertContext {
  localAsn: number;
  peerAsn: number;
  /** Peer negotiated 4-octet AS (RFC 6793). */
  as4: boolean;
  nextHops: NextHops;
}

/** A stable key of everything that is sent for an advertisement, used to diff. */
export function advertKey(a: Advertisement): string {
  const c = [...(a.communities ?? [])].sort((x, y) => x - y).join(',');
  return `${Prefix.parse(a.prefix).toString()}|${c}|${a.med ?? ''}|${a.localPref ?? ''}|${a.prepend ?? 0}`;
}

/**
 * Builds the UPDATE announcing one advertisement: ORIGIN IGP, AS_PATH (4-octet, or 2-octet with
 * AS_TRANS plus AS4_PATH), NEXT_HOP for IPv4 or MP_REACH_NLRI for IPv6, MED, LOCAL_PREF (iBGP),
 * COMMUNITIES. Returns undefined when no next hop exists for the prefix's family.
 */
export function announceUpdate(a: Advertisement, ctx: AdvertContext): Update | undefined {
  const prefix = Prefix.parse(a.prefix);
  const ibgp = ctx.localAsn === ctx.peerAsn;
  // RFC 4271 §5.1.2: eBGP prepends the local AS; iBGP sends an empty AS_PATH.
  const path = ibgp ? [] : Array<number>(1 + (a.prepend ?? 0)).fill(ctx.localAsn);
  const attrs: PathAttribute[] = [{ type: 'origin', value: ORIGIN.IGP }];
  const wide = path.some((asn) => asn > 0xffff);
  if (ctx.as4 || !wide) {
    attrs.push({ type: 'as-path', segments: path.length ? [{ type: SEGMENT.AS_SEQUENCE, asns: path }] : [] });
  } else {
    // RFC 6793 §4.2.2: a NEW speaker talking to an OLD one substitutes AS_TRANS and adds AS4_PATH.
    attrs.push({ type: 'as-path', segments: [{ type: SEGMENT.AS_SEQUENCE, asns: path.map((x) => (x > 0xffff ? AS_TRANS : x)) }] });
  }
  if (prefix.afi === AFI.IPV4) {
    if (!ctx.nextHops.ipv4) return undefined;
    attrs.push({ type: 'next-hop', addr: ctx.nextHops.ipv4 });
  }
  if (a.med !== undefined) attrs.push({ type: 'med', value: a.med });
  if (ibgp && a.localPref !== undefined) attrs.push({ type: 'local-pref', value: a.localPref });
  if (a.communities?.length) attrs.push({ type: 'communities', values: [...a.communities] });
  if (!ctx.as4 && wide) {
    attrs.push({ type: 'as4-path', segments: [{ type: SEGMENT.AS_SEQUENCE, asns: path }] });
  }
  if (prefix.afi === AFI.IPV6) {
    if (!ctx.nextHops.ipv6) return undefined;
    const nextHops = ctx.nextHops.linkLocal ? [ctx.nextHops.ipv6, ctx.nextHops.linkLocal] : [ctx.nextHops.ipv6];
    attrs.unshift({ type: 'mp-reach', afi: AFI.IPV6, safi: SAFI.UNICAST, nextHops, nlri: [prefix] });
    return new Update({ attributes: attrs });
  }
  return new Update({ attributes: attrs, nlri: [prefix] });
}

/** Builds the UPDATE withdrawing one prefix (classic field for IPv4, MP_UNREACH_NLRI for IPv6). */
export function withdrawUpdate(prefixText: string): Update {
  const prefix = Prefix.parse(prefixText);
  if (prefix.afi === AFI.IPV4) return new Update({ withdrawn: [prefix] });
  return new Update({ attributes: [{ type: 'mp-unreach', afi: AFI.IPV6, safi: SAFI.UNICAST, withdrawn: [prefix] }] });
}
