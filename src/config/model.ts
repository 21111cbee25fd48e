/**
 * The typed model of the delivery language (`*.delivery` files), as produced by
 * `loadPaths()` in `./load`. Every value was validated at load time; every reference carries
 * the position where it was written and, when the load had no errors, its resolved target.
 *
 * Units: durations are milliseconds, distances kilometres, TTLs seconds, weights 0..65535.
 * See docs/delivery-language.md for the grammar.
 */
import type { SourcePos } from '../util/source-error';
import type { GeoPoint } from '../model/geo-point';

export type { SourcePos } from '../util/source-error';
export type { GeoPoint } from '../model/geo-point';

/** The tier a service runs at; top-level services have no tier. */
export type Tier = 'datacenter' | 'cluster' | 'service';

/** The affirmative signals members push. */
export type SignalName = 'presence' | 'readiness' | 'utilization' | 'errors';

/** Pick strategies. */
export type StrategyName = 'internet-location-then-dynamic-weight' | 'measured-latency-then-dynamic-weight' | 'priority-then-weight';

/** An IP address block `ADDR/LEN` as written, with its parsed parts. */
export interface AddressBlock {
  /** The address exactly as written (normalised to lower case), e.g. `2001:db8:ae21:7700::`. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
  prefixLength: number;
  /** The block's network in canonical CIDR form (host bits cleared), e.g. `2001:db8:ae21:7700::/56`. */
  network: string;
  pos: SourcePos;
}

/** A parsed `scheme://host[:port]/path` URL (a `listen` or `uri` value). */
export interface UrlValue {
  /** The string as written. */
  text: string;
  scheme: string;
  /** Lower-case host name or address (IPv6 without brackets). */
  host: string;
  port?: number;
  /** Path part, `/` when absent; may contain `*` globs in a control `uri`. */
  path: string;
  pos: SourcePos;
}

/** Common fields of every reference: the text as written and its position. */
export interface RefBase {
  /** e.g. `control.my-uri`. */
  text: string;
  pos: SourcePos;
}

/** `control.NAME` → a control in scope. */
export interface ControlRef extends RefBase {
  kind: 'control';
  name: string;
  resolved?: Control;
}

/** `list.NAME` → a list in scope. */
export interface ListRef extends RefBase {
  kind: 'list';
  name: string;
  resolved?: List;
}

/** What a membership or dynamic-weight reference names: a service, a list, or a list entry. */
export type ServiceLike = Service | List | ListEntry;

/** `membership.SERVICE[.TIER]` → the live members of SERVICE (at TIER), fed by signals. */
export interface MembershipRef extends RefBase {
  kind: 'membership';
  service: string;
  tier?: Tier;
  resolved?: ServiceLike;
  /** The `subscribe … to membership` lines that feed it (at least one when resolved). */
  subscriptions?: Subscription[];
}

/** `dynamic-weight.SERVICE` → the dynamic weight of SERVICE, fed by signals. */
export interface DynamicWeightRef extends RefBase {
  kind: 'dynamic-weight';
  service: string;
  resolved?: ServiceLike;
  subscriptions?: Subscription[];
}

/** `PROCESS.CHECK` (e.g. `announce-routes.dns`) → a named check block of a process. */
export interface CheckRef extends RefBase {
  kind: 'check';
  process: string;
  check: string;
  resolved?: ProcessCheck;
}

/** `infra.application.NAME` → the processes of the file `NAME.delivery` (or `NN-NAME.delivery`). */
export interface ApplicationRef extends RefBase {
  kind: 'application';
  name: string;
  resolved?: Application;
}

/** `control NAME:` — admission by URI glob and site schema. */
export interface Control {
  kind: 'control';
  name: string;
  pos: SourcePos;
  uri?: UrlValue;
  /** `match-site-schema:` — relative path or URL of the schema (not read at check time). */
  schema?: { path: string; pos: SourcePos };
}

/** How a list entry's weight is set. */
export type EntryWeight =
  | { kind: 'static'; value: number; pos: SourcePos }
  | { kind: 'dynamic'; ref: DynamicWeightRef; pos: SourcePos };

/** A static member of a list entry: `NAME ADDR:PORT [weight N]`. */
export interface StaticEndpoint {
  name: string;
  host: string;
  family: 4 | 6;
  port: number;
  weight: number;
  pos: SourcePos;
}

/** How a list entry's members are known. */
export type EntryMembers =
  | { kind: 'dynamic'; ref: MembershipRef; pos: SourcePos }
  | { kind: 'static'; endpoints: StaticEndpoint[]; pos: SourcePos };

/** `threshold:` — the unit of availability: N ready members, or a percentage of known members. */
export type Threshold =
  | { kind: 'count'; ready: number; pos: SourcePos }
  | { kind: 'percent'; percent: number; pos: SourcePos };

/** One entry of a list (`service-with-gpu:`). */
export interface ListEntry {
  kind: 'list-entry';
  name: string;
  /** The list it belongs to. */
  list: string;
  pos: SourcePos;
  /** Lower is preferred; default 0. */
  priority: number;
  weight?: EntryWeight;
  members?: EntryMembers;
  /** `requires: A B …` — services this entry depends on. */
  requires: { name: string; pos: SourcePos; resolved?: ServiceLike }[];
  threshold?: Threshold;
}

/** `list NAME:` — prioritized, weighted next hops for priority-then-weight. */
export interface List {
  kind: 'list';
  name: string;
  pos: SourcePos;
  entries: ListEntry[];
}

/** `next-hop-strategy:` and its options. */
export interface Strategy {
  name: StrategyName;
  /** Written as `dynamic: NAME` (weights scaled by signals). */
  dynamic: boolean;
  pos: SourcePos;
  /** `tolerance: 500km` — members within this distance of the nearest count as one group. */
  toleranceKm?: number;
  /** `answers: N` — records per answer. */
  answers?: number;
  /** `when-none-ready:` — the last resort when no member is ready. */
  whenNoneReady?: 'all' | 'nearest' | 'none';
  /** `sticky: client-subnet` — rendezvous hashing on the client subnet. */
  sticky?: 'client-subnet';
  /** `ttl: N` — overrides record TTLs in answers (seconds). */
  ttl?: number;
  /** `spill-over: on|off` — capacity spill-over of the datacenter pick (default on). */
  spillOver?: boolean;
  /** measured-latency-then-dynamic-weight: `latency-tolerance: 5ms` — datacenters this close to the fastest share its clients by weight. */
  latencyToleranceMs?: number;
  /** `latency-min-samples: N` — connections a datacenter needs measured for a network before latency decides. */
  latencyMinSamples?: number;
  /** `latency-max-age: 10m` — measurements older than this do not count. */
  latencyMaxAgeMs?: number;
  /** `exploration: 5%` — share of networks sent to the second-fastest datacenter, 0..0.5. */
  exploration?: number;
  /** `latency-networks: /24 /48` — client networks are IPv4 /N and IPv6 /M. */
  latencyNetworks?: { v4: number; v6: number };
}

/** A `"OWNER TYPE CLASS TTL ADDR/LEN"` member target: a record template. */
export interface RecordTemplate {
  /** Lower-case owner name without trailing dot. */
  owner: string;
  type: 'A' | 'AAAA';
  class: 'IN';
  ttl: number;
}

/** A member's target: an address block, optionally written as a record. */
export interface MemberTarget {
  /** The answer address is `block.address`; the member lives in `block.network`. */
  block: AddressBlock;
  record?: RecordTemplate;
  pos: SourcePos;
}

/** One next-hop member: `NAME WEIGHT dyn|static TARGET [location LAT,LON]`. Lines with the same NAME add targets. */
export interface Member {
  name: string;
  weight: number;
  /** `dyn`: weight scaled by signals; `static`: not. */
  dynamic: boolean;
  targets: MemberTarget[];
  location?: GeoPoint;
  pos: SourcePos;
}

/** `next-hop-members:` — static member lines or `dynamic: membership.…`. */
export type NextHopMembers =
  | { kind: 'static'; members: Member[]; pos: SourcePos }
  | { kind: 'dynamic'; ref: MembershipRef; pos: SourcePos };

/** `service NAME:` (or a named service in a tier block). */
export interface Service {
  kind: 'service';
  name: string;
  pos: SourcePos;
  /** Set for services inside a delivery. */
  tier?: Tier;
  /** Name of the enclosing delivery, if any. */
  delivery?: string;
  listen?: UrlValue;
  admit?: ControlRef;
  nextHop?: ListRef;
  strategy?: Strategy;
  members?: NextHopMembers;
}

/** A named check block of a process (`dns:` + `check: dns`). */
export interface ProcessCheck {
  name: string;
  /** The process it belongs to. */
  process: string;
  pos: SourcePos;
  kind: 'dns' | 'http' | 'tcp' | 'exec';
  /** http: URL; tcp: `ADDR:PORT`; exec: command line. */
  target?: string;
  /** Defaults: interval 1000 ms, timeout 500 ms, rise 2, fall 2, query `<apex of first zone> SOA` resolved by the BGP tier. */
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  query?: { name: string; type: string; pos: SourcePos };
  /** `tcp: yes` — dns check over TCP. */
  tcp: boolean;
}

/** `routes neighbor ADDR` and its block. */
export interface Neighbor {
  address: string;
  family: 4 | 6;
  pos: SourcePos;
  localAddress?: string;
  /** RFC 6793 4-octet ASNs, 1..4294967295. */
  localAsn: number;
  peerAsn: number;
  /** Default 179. */
  port: number;
  /** Seconds; default 90 (RFC 4271 §4.2: 0 or ≥ 3). */
  holdTime: number;
  passive: boolean;
  routerId?: string;
  /** RFC 1997 communities, written `A:B` (util/community), as 32-bit values. */
  communities: number[];
  med?: number;
  /** TCP-MD5 (RFC 2385) key: where to read it at start (never the secret itself). */
  password?: SecretRef;
  /** GTSM (RFC 5082): send TTL / hop limit 255, accept only ≥ 254. */
  ttlSecurity: boolean;
  /** Single-hop BFD (RFC 5880/5881) tied to the session. */
  bfd?: { intervalMs: number; multiplier: number };
}

/** Where a secret comes from: `env:NAME`, `file:PATH` or `credential:NAME` (systemd). */
export interface SecretRef {
  source: 'env' | 'file' | 'credential';
  name: string;
  pos: SourcePos;
}

/** `process NAME:`. */
export interface Process {
  kind: 'process';
  name: string;
  pos: SourcePos;
  /** The application (file) it belongs to. */
  application: string;
  run?: { unit: string; pos: SourcePos };
  listen?: { address: string; family: 4 | 6; port?: number; pos: SourcePos };
  checks: ProcessCheck[];
  neighbors: Neighbor[];
  /** `bgp: PROCESS.CHECK` — announce while this check passes. */
  bgp?: CheckRef;
  /** `prefix:` lines; when empty, the BGP tier announces the dns process's listen address /128 or /32. */
  prefixes: AddressBlock[];
  drainMs?: number;
}

/** The processes of one `*.delivery` file, named after the file (ordering prefix `NN-` dropped). */
export interface Application {
  name: string;
  file: string;
  processes: Process[];
}

/** `SIGNAL @CHANNEL as otel.event|otel.metric`. */
export interface Publication {
  signal: SignalName;
  channel: string;
  as: 'otel.event' | 'otel.metric';
  pos: SourcePos;
}

/** `SIGNAL @CHANNEL to membership|dynamic-weight`. */
export interface Subscription {
  signal: SignalName;
  channel: string;
  to: 'membership' | 'dynamic-weight';
  pos: SourcePos;
}

/** `channel @NAME: endpoint "URL"` — OTLP endpoints a channel is bound to. */
export interface Channel {
  /** Without `@`. */
  name: string;
  endpoints: UrlValue[];
  pos: SourcePos;
}

/** Names defined in one tier block (cluster-pick-service or service-pick-service). */
export interface TierScope {
  controls: Control[];
  lists: List[];
  services: Service[];
}

/** `service-pick-service:` of a cluster: its lists/controls and the (unnamed) service pick itself. */
export interface ServicePick extends TierScope {
  pos: SourcePos;
  /** The service-pick service; named after the delivery's datacenter-pick service. */
  service: Service;
}

/** `cluster-1` inside a cluster-pick-service. */
export interface ClusterSection {
  name: string;
  pos: SourcePos;
  location?: GeoPoint;
  block?: AddressBlock;
  servicePick?: ServicePick;
}

/** `cluster-pick-service:` of a datacenter. */
export interface ClusterPick extends TierScope {
  pos: SourcePos;
  clusters: ClusterSection[];
}

/** `datacenter-1` inside a datacenter-pick-service. */
export interface DatacenterSection {
  name: string;
  pos: SourcePos;
  location?: GeoPoint;
  block?: AddressBlock;
  clusterPick?: ClusterPick;
}

/** `delivery NAME`. */
export interface Delivery {
  kind: 'delivery';
  name: string;
  pos: SourcePos;
  anycastDns?: ApplicationRef;
  publish: Publication[];
  subscribe: Subscription[];
  channels: Channel[];
  leaseMs?: number;
  reportIntervalMs?: number;
  /** `datacenter-pick-service NAME:` (tier 'datacenter'). */
  datacenterPick?: Service;
  datacenters: DatacenterSection[];
}

/** Everything loaded from all `*.delivery` files: one shared namespace. */
export interface DeliveryModel {
  files: string[];
  controls: Control[];
  lists: List[];
  services: Service[];
  processes: Process[];
  deliveries: Delivery[];
  applications: Application[];
}

/** An empty model. */
export function emptyModel(): DeliveryModel {
  return { files: [], controls: [], lists: [], services: [], processes: [], deliveries: [], applications: [] };
}
