/**
 * Client latency as the signals machinery (src/signals/latency-map.ts) keeps it and the
 * datacenter pick (src/pick) reads it: per client network, per datacenter, the measured round
 * trip. Types only.
 */
/** What is known of one datacenter for one client network. */
export interface LatencyEstimate {
  /** The datacenter (the reporting member's name). */
  readonly datacenter: string;
  /** Smoothed median round-trip time, ms (an EWMA of each report's median). */
  readonly rttMs: number;
  /** Connections measured in all (every report's count added up). */
  readonly samples: number;
  /** When the last report for this pair arrived, ms since the epoch. */
  readonly lastSeen: number;
}

/** Looks up measured latencies by client network key (src/util/network-key.ts: IPv4 /24 or IPv6 /48 packed into one number). */
export interface LatencySource {
  /** Changes whenever an estimate changes, so callers can cache decisions per version. */
  readonly version: number;
  /** The prefixes networks are aggregated to. */
  readonly prefixes: { readonly v4: number; readonly v6: number };
  /** The estimates of one network, one per datacenter that reported it; undefined when none. */
  get(key: number): readonly LatencyEstimate[] | undefined;
}
