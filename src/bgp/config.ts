/** Runtime configuration of the BGP sidecar: what the speaker, checks and drain need. */

/** One BGP neighbor. */
export interface NeighborConfig {
  /** Peer address. */
  address: string;
  /** TCP port used to connect and to listen (default 179). */
  port: number;
  /** Local address to bind outgoing connections and the listener to. */
  localAddress?: string;
  localAsn: number;
  peerAsn: number;
  /** Proposed hold time in seconds: 0 or ≥ 3 (default 90). */
  holdTime: number;
  /** Only wait for the peer to connect. */
  passive: boolean;
  /** BGP identifier (dotted quad); derived from the local IPv4 address or a hash when absent. */
  routerId?: string;
  /** Communities added to every announcement (32-bit values). */
  communities: number[];
  /** MED on every announcement. */
  med?: number;
  /** First connect-retry / restart delay in ms; doubled after each failure (default 1000). */
  connectRetryMs: number;
  /** Cap of the exponential backoff in ms (default 30000). */
  connectRetryMaxMs: number;
}

/** What a health check probes. */
export type CheckTarget =
  | { kind: 'dns'; address: string; port: number; name: string; qtype: string; tcp: boolean }
  | { kind: 'http'; url: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'exec'; command: string };

/** A health check with its timing. */
export interface CheckConfig {
  target: CheckTarget;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive passes before announcing. */
  rise: number;
  /** Consecutive failures before withdrawing. */
  fall: number;
}

/** The whole announcer: prefixes to announce while the check passes, to every neighbor. */
export interface BgpConfig {
  /** Name for logs and status (e.g. `announce-routes`). */
  name: string;
  prefixes: string[];
  neighbors: NeighborConfig[];
  check: CheckConfig;
  /** How long to announce with GRACEFUL_SHUTDOWN before withdrawing, in ms (default 5000). */
  drainMs: number;
  /** AS_PATH prepends added during drain on eBGP sessions (default 3). */
  drainPrepend: number;
  /** LOCAL_PREF used during drain on iBGP sessions (default 0). */
  drainLocalPref: number;
}

/** Defaults, documented in docs/bgp.md. */
export const DEFAULTS = {
  port: 179,
  holdTime: 90,
  connectRetryMs: 1000,
  connectRetryMaxMs: 30000,
  drainMs: 5000,
  drainPrepend: 3,
  drainLocalPref: 0,
} as const;

/** Thrown for an unusable runtime configuration. */
export class BgpConfigError extends Error {
  override readonly name = 'BgpConfigError';
  readonly code = 'E_BGP_CONFIG';
}

/** Fills defaults for a neighbor. */
export function neighbor(n: Partial<NeighborConfig> & Pick<NeighborConfig, 'address' | 'localAsn' | 'peerAsn'>): NeighborConfig {
  const out: NeighborConfig = {
    port: DEFAULTS.port, holdTime: DEFAULTS.holdTime, passive: false, communities: [],
    connectRetryMs: DEFAULTS.connectRetryMs, connectRetryMaxMs: DEFAULTS.connectRetryMaxMs, ...n,
  };
  if (out.holdTime !== 0 && (out.holdTime < 3 || out.holdTime > 65535)) throw new BgpConfigError(`hold-time ${out.holdTime}: must be 0 or 3..65535`);
  for (const asn of [out.localAsn, out.peerAsn]) {
    if (!Number.isInteger(asn) || asn < 1 || asn > 0xffffffff) throw new BgpConfigError(`invalid ASN ${asn}`);
  }
  return out;
}

/** Parses `A:B` into a 32-bit community value. */
export function parseCommunity(text: string): number {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) throw new BgpConfigError(`invalid community ${text} (A:B with 0..65535)`);
  return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
}
