/**
 * Interprets `list NAME:` blocks: entries with priority, weight, members, requires, threshold.
 */
import { splitHostPort } from '../util/host-port';
import type { Node } from './lexer';
import { charPos } from './lexer';
import { CONFIG_CODES, checkName, dispatch } from './context';
import type { LoadContext, Scope } from './context';
import { dynamicFrom, dynamicWeightRef, membershipRef } from './refs';
import { parseAddress, parsePort, parsePriority, parseWeight } from './values';
import type { EntryMembers, List, ListEntry, StaticEndpoint } from './model';

function staticEndpoint(ctx: LoadContext, n: Node): StaticEndpoint | undefined {
  const name = checkName(ctx, n.head, 'member', n.pos);
  const hp = n.args[0];
  if (name === undefined) return undefined;
  if (!hp) {
    ctx.error(n.pos, `member '${name}' needs ADDR:PORT (static members: NAME ADDR:PORT [weight N])`, CONFIG_CODES.MISSING);
    return undefined;
  }
  const m = splitHostPort(hp.text);
  if (!m) {
    ctx.error(hp.pos, `bad endpoint '${hp.text}' (expected ADDR:PORT or [IPv6]:PORT)`, CONFIG_CODES.VALUE);
    return undefined;
  }
  const a = ctx.value({ ...hp, text: m.host, pos: charPos(hp, m.hostOffset) }, parseAddress);
  const port = ctx.value({ ...hp, text: m.portText, pos: charPos(hp, m.portOffset) }, parsePort);
  let weight = 1;
  if (n.args.length > 1) {
    if (n.args[1].text !== 'weight' || !n.args[2]) {
      ctx.error(n.args[1].pos, `unexpected '${n.args[1].text}' (static members: NAME ADDR:PORT [weight N])`, CONFIG_CODES.SYNTAX);
      return undefined;
    }
    const w = ctx.value(n.args[2], parseWeight);
    if (w === undefined) return undefined;
    weight = w;
    ctx.extraWords(n.args, 3, 'the weight');
  }
  ctx.noChildren(n);
  if (!a || port === undefined) return undefined;
  return { name, host: a.address, family: a.family, port, weight, pos: n.pos };
}

function entryMembers(ctx: LoadContext, n: Node, scope: Scope): EntryMembers | undefined {
  const first = n.args.length > 0 ? n.args[0] : n.children[0]?.head;
  if (first && first.text === 'dynamic') {
    const words = ctx.valueWords(n);
    const w = words && dynamicFrom(ctx, words, 'members');
    const ref = w && membershipRef(ctx, w, scope);
    return ref ? { kind: 'dynamic', ref, pos: n.pos } : undefined;
  }
  if (n.args.length > 0) {
    ctx.error(n.args[0].pos, `bad members '${n.args[0].text}' (expected 'dynamic from membership.SERVICE' or indented lines NAME ADDR:PORT [weight N])`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  if (n.children.length === 0) {
    ctx.error(n.pos, `'members' needs a value`, CONFIG_CODES.MISSING);
    return undefined;
  }
  const endpoints: StaticEndpoint[] = [];
  const names = new Map<string, StaticEndpoint>();
  for (const c of n.children) {
    const e = staticEndpoint(ctx, c);
    if (e && ctx.define(names, 'member', e)) endpoints.push(e);
  }
  return { kind: 'static', endpoints, pos: n.pos };
}

function listEntry(ctx: LoadContext, node: Node, list: string, scope: Scope): ListEntry | undefined {
  const name = checkName(ctx, node.head, 'list entry', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 0, `list entry '${name}'`);
  const e: ListEntry = { kind: 'list-entry', name, list, pos: node.pos, priority: 0, requires: [] };
  dispatch(ctx, node.children, 'list entry', {
    priority: (n) => {
      const w = ctx.oneWord(n);
      const p = w && ctx.value(w, parsePriority);
      if (p !== undefined) e.priority = p;
    },
    weight: (n) => {
      const words = ctx.valueWords(n);
      if (!words) return;
      if (words[0].text === 'dynamic') {
        const w = dynamicFrom(ctx, words, 'weight');
        const ref = w && dynamicWeightRef(ctx, w, scope);
        if (ref) e.weight = { kind: 'dynamic', ref, pos: n.pos };
        return;
      }
      if (ctx.extraWords(words, 1, 'the weight')) return;
      const v = ctx.value(words[0], parseWeight);
      if (v !== undefined) e.weight = { kind: 'static', value: v, pos: words[0].pos };
    },
    members: (n) => { e.members = entryMembers(ctx, n, scope); },
    requires: (n) => {
      for (const w of ctx.valueWords(n) ?? []) {
        const r = { name: w.text, pos: w.pos };
        e.requires.push(r);
        ctx.pending.push({ ref: r, scope, requires: true });
      }
    },
    threshold: (n) => {
      const words = ctx.valueWords(n);
      if (!words) return;
      const pm = /^(\d+)%$/.exec(words[0].text);
      if (pm && words.length === 1) {
        const p = Number(pm[1]);
        if (p < 1 || p > 100) ctx.error(words[0].pos, `threshold ${p}% out of range 1..100%`);
        else e.threshold = { kind: 'percent', percent: p, pos: words[0].pos };
        return;
      }
      if (/^\d+$/.test(words[0].text) && words.length === 2 && words[1].text === 'ready') {
        const k = ctx.value(words[0], (t) => parseWeight(t));
        if (k !== undefined) e.threshold = { kind: 'count', ready: k, pos: words[0].pos };
        return;
      }
      ctx.error(words[0].pos, `bad threshold '${words.map((w) => w.text).join(' ')}' (expected 'N ready' or 'N%')`, CONFIG_CODES.VALUE);
    },
  });
  return e;
}

/** `list NAME:`. */
export function interpretList(ctx: LoadContext, node: Node, scope: Scope): List | undefined {
  const name = checkName(ctx, node.args[0], 'list', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 1, `list '${name}'`);
  const l: List = { kind: 'list', name, pos: node.args[0].pos, entries: [] };
  const seen = new Map<string, ListEntry>();
  for (const c of node.children) {
    const e = listEntry(ctx, c, name, scope);
    if (e && ctx.define(seen, 'list entry', e)) {
      l.entries.push(e);
      if (!scope.entries.has(e.name)) scope.entries.set(e.name, e);
    }
  }
  if (l.entries.length === 0 && node.children.length === 0) ctx.error(l.pos, `list '${name}' has no entries`, CONFIG_CODES.MISSING);
  ctx.define(scope.lists, 'list', l);
  return l;
}
