import { networkInterfaces } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import { createHash } from 'node:crypto';
import { unmapV4Text } from '../util/ip';
import { formatIp, parseIp } from './wire/address';
import type { NeighborConfig } from './config';

/** Next hops the speaker puts into announcements on one session. */
export interface NextHops {
  /** IPv4 NEXT_HOP, when the session or its interface has an IPv4 address. */
  ipv4?: string;
  /** Global IPv6 next hop. */
  ipv6?: string;
  /** Link-local IPv6 next hop (RFC 2545 §3: sent as the second 16 octets). */
  linkLocal?: string;
}

function same(a: string, b: string): boolean {
  try {
    return parseIp(a).equals(parseIp(b));
  } catch {
    return false;
  }
}

/**
 * Derives next hops from the session's local address: the address itself for its family, and
 * for the other family the first address of that family on the same interface (configured
 * overrides win). An IPv4-mapped IPv6 local address counts as IPv4.
 */
export function deriveNextHops(localAddress: string, overrides: NextHops = {}): NextHops {
  const local = unmapV4Text(localAddress);
  const out: NextHops = {};
  if (isIPv4(local)) out.ipv4 = local;
  if (isIPv6(local)) out.ipv6 = formatIp(parseIp(local));
  for (const addrs of Object.values(networkInterfaces())) {
    if (!addrs || !addrs.some((a) => same(a.address, local))) continue;
    for (const a of addrs) {
      if (a.family === 'IPv4' && !out.ipv4) out.ipv4 = a.address;
      else if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80') && !out.linkLocal) out.linkLocal = a.address.split('%')[0]!;
      else if (a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80') && !out.ipv6) out.ipv6 = a.address;
    }
  }
  return { ...out, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
}

/** Derives a BGP identifier: the local IPv4 address, else a stable hash of the local address. */
export function deriveRouterId(cfg: NeighborConfig): string {
  if (cfg.routerId) return cfg.routerId;
  if (cfg.localAddress && isIPv4(cfg.localAddress)) return cfg.localAddress;
  const nh = cfg.localAddress ? deriveNextHops(cfg.localAddress) : {};
  if (nh.ipv4) return nh.ipv4;
  const h = createHash('sha256').update(`${cfg.localAddress ?? ''}/${cfg.localAsn}`).digest();
  h[0] = (h[0]! | 1) & 0xdf; // non-zero, never 0.x or 224+ (multicast-looking)
  return Array.from(h.subarray(0, 4)).join('.');
}
