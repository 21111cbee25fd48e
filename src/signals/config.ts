import { SIGNAL_KINDS } from './signal';
import type { SignalKind } from './signal';
import { DEFAULT_WEIGHT_PARAMS } from './weight';
import type { WeightParams } from './weight';

/** `presence @availability as otel.event` — one line of a `publish:` block. */
export interface PublishRule {
  signal: SignalKind;
  channel: string;
  as: 'otel.event' | 'otel.metric';
}

/** `presence @availability to membership` — one line of a `subscribe:` block. */
export interface SubscribeRule {
  signal: SignalKind;
  channel: string;
  to: 'membership' | 'dynamic-weight';
}

/** The runtime configuration of signals (receiver, registry, reporter). */
export interface SignalsConfig {
  /** Lease TTL (`lease:`), default 3 s. */
  leaseMs: number;
  /** How often members report (`report-interval:`), default 1 s. */
  reportIntervalMs: number;
  /** Start-up grace, default one lease. */
  graceMs: number;
  weight: WeightParams;
  publish: PublishRule[];
  subscribe: SubscribeRule[];
  /** Channel (`@availability`) → OTLP/HTTP base endpoints (`channel @availability: endpoint "…"`). */
  channels: Map<string, string[]>;
  /** `tier/service/member` → blocks its reported address must be in (from the delivery file). */
  blocks: Map<string, string[]>;
  /** `datacenter/service/member` of every datacenter pick: who may report client latency. */
  datacenters: Set<string>;
  /** Client network prefixes of the latency map (a datacenter pick's `latency-networks:`), default /24 and /48. */
  latencyPrefixes: { v4: number; v6: number };
}

/** The publish/subscribe rules of seed example 5, used when a delivery file has none. */
export const DEFAULT_PUBLISH: PublishRule[] = [
  { signal: 'presence', channel: '@availability', as: 'otel.event' },
  { signal: 'readiness', channel: '@availability', as: 'otel.event' },
  { signal: 'utilization', channel: '@telemetry', as: 'otel.metric' },
  { signal: 'errors', channel: '@telemetry', as: 'otel.event' },
];

/** Every signal feeds the registry when no `subscribe:` block is given. */
export const DEFAULT_SUBSCRIBE: SubscribeRule[] = [
  { signal: 'presence', channel: '@availability', to: 'membership' },
  { signal: 'readiness', channel: '@availability', to: 'dynamic-weight' },
  { signal: 'utilization', channel: '@telemetry', to: 'dynamic-weight' },
  { signal: 'errors', channel: '@telemetry', to: 'dynamic-weight' },
];

/** Defaults: lease 3 s, report every 1 s, grace one lease, default weight params, example-5 rules. */
export function defaultSignalsConfig(over: Partial<SignalsConfig> = {}): SignalsConfig {
  const leaseMs = over.leaseMs ?? 3000;
  return {
    leaseMs,
    reportIntervalMs: over.reportIntervalMs ?? 1000,
    graceMs: over.graceMs ?? leaseMs,
    weight: over.weight ?? DEFAULT_WEIGHT_PARAMS,
    publish: over.publish ?? DEFAULT_PUBLISH,
    subscribe: over.subscribe ?? DEFAULT_SUBSCRIBE,
    channels: over.channels ?? new Map<string, string[]>(),
    blocks: over.blocks ?? new Map<string, string[]>(),
    datacenters: over.datacenters ?? new Set<string>(),
    latencyPrefixes: over.latencyPrefixes ?? { v4: 24, v6: 48 },
  };
}

/** The signal kinds that feed the registry under `subscribe` (presence is always needed). */
export function subscribedKinds(cfg: SignalsConfig): Set<SignalKind> {
  const set = new Set<SignalKind>(cfg.subscribe.map((r) => r.signal));
  if (set.size === 0) return new Set(SIGNAL_KINDS);
  return set;
}

/** What the member registry takes of a signals config (its `configure` and constructor settings). */
export function registrySettings(cfg: SignalsConfig): { leaseMs: number; graceMs: number; weight: WeightParams; subscribed: Set<SignalKind> } {
  return { leaseMs: cfg.leaseMs, graceMs: cfg.graceMs, weight: cfg.weight, subscribed: subscribedKinds(cfg) };
}

