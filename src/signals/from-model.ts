import type { DeliveryModel } from '../config/model';
import { datacenterServices } from '../pick/datacenter-services';
import { defaultSignalsConfig } from './config';
import type { SignalsConfig } from './config';

function addBlock(blocks: Map<string, string[]>, key: string, network: string): void {
  const list = blocks.get(key) ?? [];
  if (!list.includes(network)) list.push(network);
  blocks.set(key, list);
}

/**
 * Builds the runtime signals configuration from a loaded delivery model:
 * `publish:`/`subscribe:` rules, `channel @NAME: endpoint "URL"` bindings, `lease:` and
 * `report-interval:` of the deliveries (the first delivery that sets a value wins), and the
 * blocks a member's reported address must lie in — datacenter/cluster sections with `block:`
 * and the targets of static `next-hop-members` lines (a service without a tier answers at the
 * DNS edge, so its members are datacenters).
 */
export function signalsConfigFromModel(model: DeliveryModel): SignalsConfig {
  const cfg = defaultSignalsConfig({
    leaseMs: model.deliveries.find((d) => d.leaseMs !== undefined)?.leaseMs,
    reportIntervalMs: model.deliveries.find((d) => d.reportIntervalMs !== undefined)?.reportIntervalMs,
  });
  const publish = model.deliveries.flatMap((d) => d.publish);
  const subscribe = model.deliveries.flatMap((d) => d.subscribe);
  if (publish.length > 0) cfg.publish = publish.map(({ signal, channel, as }) => ({ signal, channel: `@${channel.replace(/^@/, '')}`, as }));
  if (subscribe.length > 0) cfg.subscribe = subscribe.map(({ signal, channel, to }) => ({ signal, channel: `@${channel.replace(/^@/, '')}`, to }));
  for (const d of model.deliveries) {
    for (const ch of d.channels) cfg.channels.set(`@${ch.name}`, ch.endpoints.map((e) => e.text));
    const dcService = d.datacenterPick?.name;
    for (const dc of d.datacenters) {
      if (dcService && dc.block) addBlock(cfg.blocks, `datacenter/${dcService}/${dc.name}`, dc.block.network);
      for (const cl of dc.clusterPick?.clusters ?? []) {
        if (dcService && cl.block) addBlock(cfg.blocks, `cluster/${dcService}/${cl.name}`, cl.block.network);
      }
    }
  }
  for (const s of model.services) {
    if (s.members?.kind !== 'static') continue;
    const tier = s.tier ?? 'datacenter';
    for (const m of s.members.members) {
      for (const t of m.targets) addBlock(cfg.blocks, `${tier}/${s.name}/${m.name}`, t.block.network);
    }
  }
  for (const spec of datacenterServices(model)) {
    for (const m of spec.members) cfg.datacenters.add(`datacenter/${spec.service}/${m.name}`);
    if (spec.latency) cfg.latencyPrefixes = { ...spec.latency.prefixes };
  }
  return cfg;
}
