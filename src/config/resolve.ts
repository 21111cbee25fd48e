/**
 * Resolves every queued reference against the scope it was written in (inner scopes first,
 * then enclosing tiers, the delivery, and the shared top level of all loaded files).
 */
import { CONFIG_CODES } from './context';
import type { LoadContext, Scope } from './context';
import type { Delivery, ListEntry, ServiceLike, Subscription, Tier } from './model';

function chain(scope: Scope): Scope[] {
  const out: Scope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) out.push(s);
  return out;
}

function known(names: string[]): string {
  const u = [...new Set(names)];
  return u.length > 0 ? ` (defined: ${u.slice(0, 8).join(', ')}${u.length > 8 ? ', …' : ''})` : '';
}

function findServiceLike(scope: Scope, name: string, tier?: Tier): ServiceLike | undefined {
  for (const s of chain(scope)) {
    const svc = s.services.get(name);
    if (svc && (tier === undefined || svc.tier === tier)) return svc;
    if (tier !== undefined) continue;
    const e = s.entries.get(name) ?? s.lists.get(name);
    if (e) return e;
  }
  return undefined;
}

function serviceNames(scope: Scope, tier?: Tier): string[] {
  return chain(scope).flatMap((s) => [
    ...[...s.services.values()].filter((x) => tier === undefined || x.tier === tier).map((x) => x.name),
    ...(tier === undefined ? [...s.entries.keys(), ...s.lists.keys()] : []),
  ]);
}

function subscriptions(ctx: LoadContext, scope: Scope, to: Subscription['to']): { subs: Subscription[]; where: string } {
  const ds: Delivery[] = scope.delivery ? [scope.delivery] : [...ctx.deliveries.values()];
  return {
    subs: ds.flatMap((d) => d.subscribe.filter((s) => s.to === to)),
    where: scope.delivery ? `delivery '${scope.delivery.name}'` : 'any loaded delivery',
  };
}

/** Fills `resolved` of every pending reference; unresolved ones become errors at their position. */
export function resolveAll(ctx: LoadContext): void {
  for (const p of ctx.pending) {
    const { scope } = p;
    if ('requires' in p) {
      const r = p.ref;
      r.resolved = findServiceLike(scope, r.name);
      if (!r.resolved) ctx.error(r.pos, `unresolved dependency '${r.name}': no service, list or list entry of that name in scope${known(serviceNames(scope))}`, CONFIG_CODES.REF);
      continue;
    }
    const ref = p.ref;
    switch (ref.kind) {
      case 'control': {
        ref.resolved = chain(scope).map((s) => s.controls.get(ref.name)).find((x) => x);
        if (!ref.resolved) ctx.error(ref.pos, `unresolved reference '${ref.text}': no control '${ref.name}' in scope${known(chain(scope).flatMap((s) => [...s.controls.keys()]))}`, CONFIG_CODES.REF);
        break;
      }
      case 'list': {
        ref.resolved = chain(scope).map((s) => s.lists.get(ref.name)).find((x) => x);
        if (!ref.resolved) ctx.error(ref.pos, `unresolved reference '${ref.text}': no list '${ref.name}' in scope${known(chain(scope).flatMap((s) => [...s.lists.keys()]))}`, CONFIG_CODES.REF);
        break;
      }
      case 'membership':
      case 'dynamic-weight': {
        const tier = ref.kind === 'membership' ? ref.tier : undefined;
        const target = findServiceLike(scope, ref.service, tier);
        if (!target) {
          const what = tier ? `no ${tier}-tier service '${ref.service}'` : `no service, list or list entry '${ref.service}'`;
          ctx.error(ref.pos, `unresolved reference '${ref.text}': ${what} in scope${known(serviceNames(scope, tier))}`, CONFIG_CODES.REF);
          break;
        }
        const { subs, where } = subscriptions(ctx, scope, ref.kind);
        if (subs.length === 0) {
          ctx.error(ref.pos, `'${ref.text}' needs a 'subscribe:' line 'SIGNAL @CHANNEL to ${ref.kind}' in ${where}: nothing feeds it`, CONFIG_CODES.REF);
          break;
        }
        ref.resolved = target;
        ref.subscriptions = subs;
        break;
      }
      case 'check': {
        const proc = ctx.processes.get(ref.process);
        if (!proc) {
          ctx.error(ref.pos, `unresolved reference '${ref.text}': no process '${ref.process}'${known([...ctx.processes.keys()])}`, CONFIG_CODES.REF);
          break;
        }
        ref.resolved = proc.checks.find((c) => c.name === ref.check);
        if (!ref.resolved) ctx.error(ref.pos, `unresolved reference '${ref.text}': process '${ref.process}' has no check block '${ref.check}'${known(proc.checks.map((c) => c.name))}`, CONFIG_CODES.REF);
        break;
      }
      case 'application': {
        ref.resolved = ctx.applications.get(ref.name);
        if (!ref.resolved) ctx.error(ref.pos, `unresolved reference '${ref.text}': no loaded file '${ref.name}.delivery' (or 'NN-${ref.name}.delivery') defines processes${known([...ctx.applications.keys()])}`, CONFIG_CODES.REF);
        break;
      }
    }
  }
}

/**
 * A list entry that (transitively) requires itself can never be available: report each cycle
 * once, at the entry of the cycle written first, as `requires cycle in list 'l': a → b → a`.
 */
export function checkRequireCycles(ctx: LoadContext, entries: ListEntry[]): void {
  const reported = new Set<ListEntry>();
  const order = new Map(entries.map((e, i) => [e, i]));
  for (const start of entries) {
    if (reported.has(start)) continue;
    // Depth-first search for a path back to `start`.
    const path: ListEntry[] = [start];
    const seen = new Set<ListEntry>([start]);
    const dfs = (e: ListEntry): boolean => {
      for (const r of e.requires) {
        const t = r.resolved;
        if (!t || t.kind !== 'list-entry') continue;
        if (t === start) return true;
        if (seen.has(t)) continue;
        seen.add(t);
        path.push(t);
        if (dfs(t)) return true;
        path.pop();
      }
      return false;
    };
    if (!dfs(start)) continue;
    const first = path.reduce((a, b) => ((order.get(b) ?? 0) < (order.get(a) ?? 0) ? b : a));
    if (reported.has(first)) continue;
    const i = path.indexOf(first);
    const cycle = [...path.slice(i), ...path.slice(0, i), first];
    for (const e of path) reported.add(e);
    ctx.error(first.pos, `requires cycle in list '${first.list}': ${cycle.map((e) => e.name).join(' → ')}`, CONFIG_CODES.REF);
  }
}
