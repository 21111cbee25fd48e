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
  /** TCP-MD5 key (RFC 2385), 1..80 octets, read at start from the environment or a file. */
  md5Key?: Buffer;
  /** GTSM (RFC 5082): send TTL / hop limit 255 and require at least 254 on receive. */
  ttlSecurity: boolean;
  /** Single-hop BFD (RFC 5881) tied to the session: desired interval and detection multiplier. */
  bfd?: { intervalMs: number; multiplier: number };
  /** BFD port (3784; tests on loopback use another). */
  bfdPort?: number;
  /** First connect-retry / restart delay in ms; doubled after each failure (default 1000). */
  connectRetryMs: number;
  /** Cap of the exponential backoff in ms (default 30000). */
  connectRetryMaxMs: number;
  /** A session that ends within this many ms of Established counts as a flap (default 10000). */
  flapWithinMs: number;
  /** Consecutive flaps retried with the plain backoff before damping starts (default 2). */
  flapsAllowed: number;
  /** First damped hold-back in ms, doubled per further flap (default 15000). */
  dampMinMs: number;
  /** Cap of the damped hold-back in ms (default 600000). */
  dampMaxMs: number;
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
  flapWithinMs: 10000,
  flapsAllowed: 2,
  dampMinMs: 15000,
  dampMaxMs: 600000,
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
    port: DEFAULTS.port, holdTime: DEFAULTS.holdTime, passive: false, communities: [], ttlSecurity: false,
    connectRetryMs: DEFAULTS.connectRetryMs, connectRetryMaxMs: DEFAULTS.connectRetryMaxMs,
    flapWithinMs: DEFAULTS.flapWithinMs, flapsAllowed: DEFAULTS.flapsAllowed, dampMinMs: DEFAULTS.dampMinMs, dampMaxMs: DEFAULTS.dampMaxMs, ...n,
  };
  if (out.holdTime !== 0 && (out.holdTime < 3 || out.holdTime > 65535)) throw new BgpConfigError(`hold-time ${out.holdTime}: must be 0 or 3..65535`);
  // Linux TCP_MD5SIG_MAXKEYLEN.
  if (out.md5Key && (out.md5Key.length < 1 || out.md5Key.length > 80)) throw new BgpConfigError(`neighbor ${out.address}: TCP-MD5 key must be 1..80 octets, got ${out.md5Key.length}`);
  for (const asn of [out.localAsn, out.peerAsn]) {
    if (!Number.isInteger(asn) || asn < 1 || asn > 0xffffffff) throw new BgpConfigError(`invalid ASN ${asn}`);
  }
  return out;
}

