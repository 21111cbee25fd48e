/** The live state a node shows on its dashboard and in `/status.json`. */
export interface NodeStatus {
  node: { name: string; version: string; startedAt: string; now: string; stateVersion?: string };
  members: MemberStatus[];
  answers: AnswerSeries;
  bgp: BgpSessionStatus[];
  events: StatusEvent[];
  /** `io`: the UDP I/O path (`batch` recvmmsg/sendmmsg, or `dgram`). */
  dns?: { queries: number; byRcode: Record<string, number>; byType: Record<string, number>; protection?: DnsProtection; io?: string };
}

/** One member of a pick as the node sees it. */
export interface MemberStatus {
  tier: string;
  service: string;
  member: string;
  present: boolean;
  ready: boolean;
  /** 0..1 when reported. */
  utilization?: number;
  /** Dynamic factor 0..1 (1 for static members). */
  factor: number;
  staticWeight: number;
  effectiveWeight: number;
  address?: string;
  /** Where the state comes from: live signals, or static configuration (no live state yet). */
  source: 'signals' | 'static';
}

/** Answers given per member in fixed time buckets, oldest first. */
export interface AnswerSeries {
  bucketSeconds: number;
  buckets: Array<{ t: string; counts: Record<string, number> }>;
}

/** One BGP session of the node's sidecar. */
export interface BgpSessionStatus {
  neighbor: string;
  state: string;
  announced: string[];
  /** Wanted prefixes the session cannot carry (family not negotiated, no next hop), with the reason. */
  unannounced?: { prefix: string; reason: string }[];
  lastError?: string;
  lastTransition?: string;
}

/** A state change worth showing: member up/down, lease expiry, route announced/withdrawn, reload. */
export interface StatusEvent {
  t: string;
  kind: string;
  text: string;
}

/** What the DNS server did against hostile traffic since start (counters, src/dns/counters.ts). */
export interface DnsProtection {
  /** UDP messages dropped: unreadable, or by response rate limiting. */
  dropped: { malformed: number; rrl: number };
  /** Rate-limited replies sent short (TC=1 or BADCOOKIE), and replies exempt for a valid cookie. */
  rrlSlipped: number;
  rrlCookieExempt: number;
  cookies: Record<string, number>;
  tcpRefused: Record<string, number>;
  tcpClosed: Record<string, number>;
}
