/**
 * Interprets `delivery NAME`: anycast-dns, publish/subscribe, channels, lease, and the three
 * tiers (datacenter-pick-service → datacenter sections → cluster-pick-service → cluster
 * sections → service-pick-service).
 */
import type { Node, Word } from './lexer';
import { CONFIG_CODES, checkName, dispatch, newScope } from './context';
import type { LoadContext, Scope } from './context';
import { applicationRef } from './refs';
import { blockAt } from './interpret-members';
import { finishService, interpretControl, interpretService, SERVICE_KEYS, serviceTable, urlValue } from './interpret-service';
import { interpretList } from './interpret-list';
import { parseDuration, parseLocation } from './values';
import type {
  Channel, ClusterPick, ClusterSection, DatacenterSection, Delivery, Publication, Service, ServicePick, SignalName, Subscription,
} from './model';

const SIGNALS: SignalName[] = ['presence', 'readiness', 'utilization', 'errors'];
const CHANNEL = /^@[A-Za-z0-9][A-Za-z0-9_-]*$/;

function signalLine(ctx: LoadContext, n: Node, joiner: 'as' | 'to', kinds: string[]): { signal: SignalName; channel: string; kind: string } | undefined {
  const words = [n.head, ...n.args];
  const form = `SIGNAL @CHANNEL ${joiner} ${kinds.join('|')}`;
  ctx.noChildren(n);
  if (words.length !== 4) {
    ctx.error(n.pos, `expected '${form}'`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  const [s, c, j, k] = words;
  if (!SIGNALS.includes(s.text as SignalName)) {
    ctx.error(s.pos, `unknown signal '${s.text}' (expected one of: ${SIGNALS.join(', ')})`, CONFIG_CODES.VALUE);
    return undefined;
  }
  if (!CHANNEL.test(c.text)) {
    ctx.error(c.pos, `bad channel '${c.text}' (expected @NAME)`, CONFIG_CODES.VALUE);
    return undefined;
  }
  if (j.text !== joiner) {
    ctx.error(j.pos, `expected '${joiner}', got '${j.text}' ('${form}')`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  if (!kinds.includes(k.text)) {
    ctx.error(k.pos, `unknown ${joiner === 'as' ? 'signal kind' : 'subscription target'} '${k.text}' (expected one of: ${kinds.join(', ')})`, CONFIG_CODES.VALUE);
    return undefined;
  }
  return { signal: s.text as SignalName, channel: c.text.slice(1), kind: k.text };
}

/** `location:` and `block:` shared by datacenter and cluster sections. */
function placeTable(ctx: LoadContext, sec: DatacenterSection | ClusterSection): Record<string, (n: Node) => void> {
  return {
    location: (n) => {
      const words = ctx.valueWords(n);
      if (words) {
        const loc = ctx.value({ ...words[0], text: words.map((w) => w.text).join('') }, parseLocation);
        if (loc) sec.location = loc;
      }
    },
    block: (n) => {
      const w = ctx.oneWord(n);
      const b = w && blockAt(ctx, w, w.text);
      if (b) sec.block = b;
    },
  };
}

function sectionName(ctx: LoadContext, n: Node, what: string): string | undefined {
  const name = checkName(ctx, n.head, what, n.pos);
  if (name !== undefined) ctx.extraWords(n.args, 0, `${what} '${name}'`);
  return name;
}

function servicePick(ctx: LoadContext, n: Node, parent: Scope, serviceName: string): ServicePick {
  const scope = newScope(`service-pick-service at ${n.pos.file}:${n.pos.line}`, parent);
  const service: Service = { kind: 'service', name: serviceName, pos: n.pos, tier: 'service', delivery: scope.delivery?.name };
  const sp: ServicePick = { pos: n.pos, controls: [], lists: [], services: [], service };
  ctx.extraWords(n.args, 0, "'service-pick-service'");
  dispatch(ctx, n.children, 'service-pick-service', {
    control: (c) => { const x = interpretControl(ctx, c, scope); if (x) sp.controls.push(x); },
    list: (c) => { const x = interpretList(ctx, c, scope); if (x) sp.lists.push(x); },
    service: (c) => { const x = interpretService(ctx, c, c.args[0], scope, 'service'); if (x) sp.services.push(x); },
    ...serviceTable(ctx, service, scope),
  }, {
    repeatable: ['control', 'list', 'service'],
    expected: ['control', 'list', 'service', ...SERVICE_KEYS, 'or a service NAME:'],
    fallback: (c) => {
      if (!c.head.colon || c.args.length > 0 || c.children.length === 0) return false;
      const x = interpretService(ctx, c, c.head, scope, 'service');
      if (x) sp.services.push(x);
      return true;
    },
  });
  finishService(ctx, service, n.children);
  if (!scope.services.has(service.name)) scope.services.set(service.name, service);
  return sp;
}

function clusterPick(ctx: LoadContext, n: Node, parent: Scope, serviceName: string): ClusterPick {
  const scope = newScope(`cluster-pick-service at ${n.pos.file}:${n.pos.line}`, parent);
  const cp: ClusterPick = { pos: n.pos, controls: [], lists: [], services: [], clusters: [] };
  const names = new Map<string, ClusterSection>();
  ctx.extraWords(n.args, 0, "'cluster-pick-service'");
  dispatch(ctx, n.children, 'cluster-pick-service', {
    control: (c) => { const x = interpretControl(ctx, c, scope); if (x) cp.controls.push(x); },
    list: (c) => { const x = interpretList(ctx, c, scope); if (x) cp.lists.push(x); },
    service: (c) => { const x = interpretService(ctx, c, c.args[0], scope, 'cluster'); if (x) cp.services.push(x); },
  }, {
    repeatable: ['control', 'list', 'service'],
    expected: ['control', 'list', 'service', 'a service NAME:', 'a cluster section NAME (no colon)'],
    fallback: (c) => {
      if (c.head.colon) {
        // `my-service:` — a service of the cluster tier.
        const x = interpretService(ctx, c, c.head, scope, 'cluster');
        if (x) cp.services.push(x);
        return true;
      }
      const name = sectionName(ctx, c, 'cluster');
      if (name === undefined) return true;
      const sec: ClusterSection = { name, pos: c.pos };
      dispatch(ctx, c.children, 'cluster section', {
        'service-pick-service': (s) => { sec.servicePick = servicePick(ctx, s, scope, serviceName); },
        ...placeTable(ctx, sec),
      });
      if (ctx.define(names, 'cluster', sec)) cp.clusters.push(sec);
      return true;
    },
  });
  return cp;
}

function datacenterPick(ctx: LoadContext, n: Node, d: Delivery, scope: Scope): void {
  const nameWord: Word | undefined = n.args[0];
  const name = checkName(ctx, nameWord, 'service', n.pos);
  if (name === undefined || !nameWord) return;
  ctx.extraWords(n.args, 1, `datacenter-pick-service '${name}'`);
  const s: Service = { kind: 'service', name, pos: nameWord.pos, tier: 'datacenter', delivery: d.name };
  const names = new Map<string, DatacenterSection>();
  dispatch(ctx, n.children, 'datacenter-pick-service', serviceTable(ctx, s, scope), {
    expected: [...SERVICE_KEYS, 'a datacenter section NAME (no colon)'],
    fallback: (c) => {
      // A datacenter section is a bare name; `word:` is a (misspelt) keyword.
      if (SERVICE_KEYS.includes(c.head.text) || c.head.colon) return false;
      const secName = sectionName(ctx, c, 'datacenter');
      if (secName === undefined) return true;
      const sec: DatacenterSection = { name: secName, pos: c.pos };
      dispatch(ctx, c.children, 'datacenter section', {
        'cluster-pick-service': (cc) => { sec.clusterPick = clusterPick(ctx, cc, scope, name); },
        ...placeTable(ctx, sec),
      });
      if (ctx.define(names, 'datacenter', sec)) d.datacenters.push(sec);
      return true;
    },
  });
  finishService(ctx, s, n.children);
  if (!s.listen && !n.children.some((c) => c.head.text === 'listen')) ctx.warn(s.pos, `datacenter-pick-service '${name}' has no 'listen': the DNS tier answers for no name`);
  ctx.define(scope.services, 'service', s);
  d.datacenterPick = s;
}

/** `delivery NAME`. */
export function interpretDelivery(ctx: LoadContext, node: Node): Delivery | undefined {
  const name = checkName(ctx, node.args[0], 'delivery', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 1, `delivery '${name}'`);
  const d: Delivery = { kind: 'delivery', name, pos: node.args[0].pos, publish: [], subscribe: [], channels: [], datacenters: [] };
  const scope = newScope(`delivery '${name}'`, ctx.global, d);
  dispatch(ctx, node.children, 'delivery', {
    'anycast-dns': (n) => {
      const w = ctx.oneWord(n);
      if (w) d.anycastDns = applicationRef(ctx, w, ctx.global);
    },
    publish: (n) => {
      ctx.extraWords(n.args, 0, "'publish:' (signals go on indented lines)");
      for (const c of n.children) {
        const r = signalLine(ctx, c, 'as', ['otel.event', 'otel.metric']);
        if (r) d.publish.push({ signal: r.signal, channel: r.channel, as: r.kind as Publication['as'], pos: c.pos });
      }
    },
    subscribe: (n) => {
      ctx.extraWords(n.args, 0, "'subscribe:' (signals go on indented lines)");
      for (const c of n.children) {
        const r = signalLine(ctx, c, 'to', ['membership', 'dynamic-weight']);
        if (r) d.subscribe.push({ signal: r.signal, channel: r.channel, to: r.kind as Subscription['to'], pos: c.pos });
      }
    },
    channel: (n) => {
      const cw = n.args[0];
      if (!cw || !CHANNEL.test(cw.text)) { ctx.error(cw?.pos ?? n.pos, `expected 'channel @NAME: endpoint "URL"'`, CONFIG_CODES.SYNTAX); return; }
      let ch = d.channels.find((c) => c.name === cw.text.slice(1));
      if (!ch) { ch = { name: cw.text.slice(1), endpoints: [], pos: cw.pos } as Channel; d.channels.push(ch); }
      const lines: Word[][] = [n.args.slice(1), ...n.children.map((c) => { ctx.noChildren(c); return [c.head, ...c.args]; })];
      for (const ws of lines) {
        if (ws.length === 0) continue;
        if (ws[0].text !== 'endpoint' || ws.length < 2) { ctx.error(ws[0].pos, `expected 'endpoint "URL"' in channel @${ch.name}`, CONFIG_CODES.SYNTAX); continue; }
        for (const w of ws.slice(1)) {
          const u = urlValue(ctx, w);
          if (u && u.scheme !== 'http' && u.scheme !== 'https') ctx.error(w.pos, `OTLP endpoint must be http:// or https://, got '${w.text}'`, CONFIG_CODES.VALUE);
          else if (u) ch.endpoints.push(u);
        }
      }
      if (ch.endpoints.length === 0 && lines.every((ws) => ws.length === 0)) ctx.error(cw.pos, `channel @${ch.name} needs at least one 'endpoint "URL"'`, CONFIG_CODES.MISSING);
    },
    lease: (n) => { const w = ctx.oneWord(n); const v = w && ctx.value(w, parseDuration); if (v !== undefined) d.leaseMs = v; },
    'report-interval': (n) => { const w = ctx.oneWord(n); const v = w && ctx.value(w, parseDuration); if (v !== undefined) d.reportIntervalMs = v; },
    'datacenter-pick-service': (n) => datacenterPick(ctx, n, d, scope),
  }, { repeatable: ['channel'] });
  for (const s of d.subscribe) {
    if (!d.publish.some((p) => p.signal === s.signal && p.channel === s.channel)) {
      ctx.error(s.pos, `subscribes to '${s.signal} @${s.channel}', which no 'publish:' line of delivery '${name}' publishes`, CONFIG_CODES.REF);
    }
  }
  if (d.leaseMs !== undefined && d.reportIntervalMs !== undefined && d.reportIntervalMs >= d.leaseMs) {
    ctx.error(d.pos, `report-interval (${d.reportIntervalMs}ms) must be shorter than lease (${d.leaseMs}ms), or members expire between reports`, CONFIG_CODES.VALUE);
  }
  ctx.define(ctx.deliveries, 'delivery', d);
  return d;
}
