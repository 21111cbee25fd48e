/**
 * Interprets `control` and `service` blocks (at top level and inside delivery tiers); lists
 * are in `./interpret-list`.
 */
import type { Node, Word } from './lexer';
import { CONFIG_CODES, checkName, dispatch } from './context';
import type { LoadContext, Scope } from './context';
import { controlRef, listRef, membershipRef } from './refs';
import { parseDistanceKm, parseDuration, parseIntIn, parseTtl, parseUrl, ValueError } from './values';
import { parseMemberLine, checkRecordOwners } from './interpret-members';
import { servingTier } from './walk';
import type { Control, Member, NextHopMembers, Service, Strategy, StrategyName, Tier, UrlValue } from './model';

/** Parses a URL word (`listen`, `uri`, channel endpoints). */
export function urlValue(ctx: LoadContext, w: Word): UrlValue | undefined {
  const u = ctx.value(w, parseUrl);
  return u ? { text: w.text, ...u, pos: w.pos } : undefined;
}

/** `match-site-schema:` value: a relative path without `..`, or an http(s) URL. */
function schemaPath(ctx: LoadContext, w: Word): string | undefined {
  const t = w.text;
  if (/^https?:\/\//.test(t)) return urlValue(ctx, w) ? t : undefined;
  const segs = t.split('/');
  if (t === '' || t.startsWith('/') || t.includes('\\') || segs.some((s) => s === '' || s === '..' || s === '.') || /[\s*?]/.test(t)) {
    ctx.error(w.pos, `bad schema reference '${t}' (expected a relative path without '.', '..' or empty segments, or an http(s) URL)`, CONFIG_CODES.VALUE);
    return undefined;
  }
  return t;
}

/** `control NAME:`. */
export function interpretControl(ctx: LoadContext, node: Node, scope: Scope): Control | undefined {
  const name = checkName(ctx, node.args[0], 'control', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 1, `control '${name}'`);
  const c: Control = { kind: 'control', name, pos: node.args[0].pos };
  dispatch(ctx, node.children, 'control', {
    uri: (n) => {
      const w = ctx.oneWord(n);
      if (w) c.uri = urlValue(ctx, w);
    },
    'match-site-schema': (n) => {
      const w = ctx.oneWord(n);
      const p = w && schemaPath(ctx, w);
      if (w && p) c.schema = { path: p, pos: w.pos };
    },
  });
  if (!c.uri) ctx.error(c.pos, `control '${name}' needs a 'uri:'`, CONFIG_CODES.MISSING);
  ctx.define(scope.controls, 'control', c);
  return c;
}

const STRATEGIES: StrategyName[] = ['internet-location-then-dynamic-weight', 'measured-latency-then-dynamic-weight', 'priority-then-weight'];

function strategy(ctx: LoadContext, node: Node): Strategy | undefined {
  let nameWord: Word | undefined;
  let dynamic = false;
  const options: Node[] = [];
  const consider = (words: Word[]): void => {
    if (words[0].text === 'dynamic' && words[0].colon) { dynamic = true; words = words.slice(1); }
    if (!words[0]) { ctx.error(node.pos, `'dynamic:' needs a strategy name`, CONFIG_CODES.MISSING); return; }
    nameWord = words[0];
    ctx.extraWords(words, 1, 'the strategy');
  };
  if (node.args.length > 0) consider(node.args);
  for (const c of node.children) {
    if (!nameWord && ((c.head.text === 'dynamic' && c.head.colon) || STRATEGIES.includes(c.head.text as StrategyName))) {
      ctx.noChildren(c);
      consider([c.head, ...c.args]);
    } else options.push(c);
  }
  if (!nameWord) {
    ctx.error(node.pos, `'next-hop-strategy' needs a strategy (one of: ${STRATEGIES.join(', ')})`, CONFIG_CODES.MISSING);
    return undefined;
  }
  const nw: Word = nameWord;
  if (!STRATEGIES.includes(nw.text as StrategyName)) {
    ctx.error(nw.pos, `unknown strategy '${nw.text}' (expected one of: ${STRATEGIES.join(', ')})`, CONFIG_CODES.VALUE);
    return undefined;
  }
  const s: Strategy = { name: nw.text as StrategyName, dynamic, pos: nw.pos };
  const one = (n: Node, f: (t: string) => void): void => {
    const w = ctx.oneWord(n);
    if (w) ctx.value(w, f);
  };
  dispatch(ctx, options, 'next-hop-strategy', {
    tolerance: (n) => one(n, (t) => { s.toleranceKm = parseDistanceKm(t); }),
    answers: (n) => one(n, (t) => { s.answers = parseIntIn(t, 1, 16, 'answers'); }),
    'when-none-ready': (n) => one(n, (t) => { s.whenNoneReady = oneOf(t, ['all', 'nearest', 'none'], 'when-none-ready') as Strategy['whenNoneReady']; }),
    sticky: (n) => one(n, (t) => { s.sticky = oneOf(t, ['client-subnet'], 'sticky') as 'client-subnet'; }),
    ttl: (n) => one(n, (t) => { s.ttl = parseTtl(t); }),
    'spill-over': (n) => one(n, (t) => { s.spillOver = oneOf(t, ['on', 'off'], 'spill-over') === 'on'; }),
    ...latencyOptions(ctx, s),
  }, { expected: ['dynamic', ...STRATEGIES, 'tolerance', 'answers', 'when-none-ready', 'sticky', 'ttl', 'spill-over', ...LATENCY_KEYS] });
  if (s.name !== 'measured-latency-then-dynamic-weight') {
    const stray = options.find((o) => (LATENCY_KEYS as readonly string[]).includes(o.head.text));
    if (stray) ctx.error(stray.head.pos, `'${stray.head.text}' belongs to strategy 'measured-latency-then-dynamic-weight', not '${s.name}'`, CONFIG_CODES.VALUE);
  }
  return s;
}

const LATENCY_KEYS = ['latency-tolerance', 'latency-min-samples', 'latency-max-age', 'exploration', 'latency-networks'] as const;

/** The options of measured-latency-then-dynamic-weight (docs/datacenter-pick.md, "Measured latency"). */
function latencyOptions(ctx: LoadContext, s: Strategy): Record<string, (n: Node) => void> {
  const one = (n: Node, f: (t: string) => void): void => {
    const w = ctx.oneWord(n);
    if (w) ctx.value(w, f);
  };
  return {
    'latency-tolerance': (n) => one(n, (t) => { s.latencyToleranceMs = parseDuration(t); }),
    'latency-min-samples': (n) => one(n, (t) => { s.latencyMinSamples = parseIntIn(t, 1, 1_000_000, 'latency-min-samples'); }),
    'latency-max-age': (n) => one(n, (t) => {
      const ms = parseDuration(t);
      if (ms < 1000) throw new ValueError(`latency-max-age must be at least 1s, got '${t}'`);
      s.latencyMaxAgeMs = ms;
    }),
    exploration: (n) => one(n, (t) => {
      const m = /^(\d+(?:\.\d+)?)%$/.exec(t);
      if (!m || Number(m[1]) > 50) throw new ValueError(`bad exploration '${t}' (a share like 5%, at most 50%)`);
      s.exploration = Number(m[1]) / 100;
    }),
    'latency-networks': (n) => {
      if (n.args.length !== 2) { ctx.error(n.pos, `'latency-networks' takes two prefixes: /IPV4 /IPV6, e.g. /24 /48`, CONFIG_CODES.SYNTAX); return; }
      const [a, b] = n.args;
      ctx.value(a, (t) => ctx.value(b, (u) => {
        s.latencyNetworks = { v4: parseIntIn(t.replace(/^\//, ''), 8, 32, 'IPv4 latency network prefix'), v6: parseIntIn(u.replace(/^\//, ''), 16, 48, 'IPv6 latency network prefix') };
      }));
    },
  };
}

function oneOf(t: string, allowed: string[], what: string): string {
  if (!allowed.includes(t)) throw new ValueError(`bad ${what} '${t}' (expected one of: ${allowed.join(', ')})`);
  return t;
}

function nextHopMembers(ctx: LoadContext, node: Node, scope: Scope): NextHopMembers | undefined {
  const first = node.children[0];
  if (node.args.length > 0) {
    ctx.error(node.args[0].pos, `'next-hop-members' takes an indented block of member lines or 'dynamic: membership.SERVICE'`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  if (!first) {
    ctx.error(node.pos, `'next-hop-members' needs member lines or 'dynamic: membership.SERVICE'`, CONFIG_CODES.MISSING);
    return undefined;
  }
  if (first.head.text === 'dynamic' && first.head.colon) {
    if (node.children.length > 1) ctx.error(node.children[1].pos, `'dynamic:' members cannot be mixed with member lines`, CONFIG_CODES.SYNTAX);
    const w = ctx.oneWord(first);
    const ref = w && membershipRef(ctx, w, scope);
    return ref ? { kind: 'dynamic', ref, pos: node.pos } : undefined;
  }
  const members = new Map<string, Member>();
  for (const c of node.children) parseMemberLine(ctx, c, members);
  return { kind: 'static', members: [...members.values()], pos: node.pos };
}

/** The keys a service block takes. */
export const SERVICE_KEYS = ['listen', 'admit', 'next-hop', 'next-hop-strategy', 'next-hop-members'];

/** Dispatch table filling `s` from service keys; shared by named services and tier blocks. */
export function serviceTable(ctx: LoadContext, s: Service, scope: Scope): Record<string, (n: Node) => void> {
  return {
    listen: (n) => {
      const w = ctx.oneWord(n);
      if (w) s.listen = urlValue(ctx, w);
    },
    admit: (n) => {
      const w = ctx.oneWord(n);
      if (w) s.admit = controlRef(ctx, w, scope);
    },
    'next-hop': (n) => {
      const w = ctx.oneWord(n);
      if (w) s.nextHop = listRef(ctx, w, scope);
    },
    'next-hop-strategy': (n) => { s.strategy = strategy(ctx, n); },
    'next-hop-members': (n) => { s.members = nextHopMembers(ctx, n, scope); },
  };
}

/**
 * Checks that belong to a finished service: record owners vs the listen host, and what the
 * strategy needs (`written` are the keys present, so a key with a bad value is not reported twice).
 */
export function finishService(ctx: LoadContext, s: Service, written: Node[]): void {
  checkRecordOwners(ctx, s);
  const has = (k: string): boolean => written.some((n) => n.head.text === k);
  if (s.nextHop && s.members) ctx.error(s.members.pos, `service '${s.name}' has both 'next-hop' and 'next-hop-members'; use one`, CONFIG_CODES.SYNTAX);
  if (s.strategy?.name === 'priority-then-weight' && !has('next-hop')) {
    ctx.error(s.strategy.pos, `strategy 'priority-then-weight' needs 'next-hop: list.NAME' in service '${s.name}'`, CONFIG_CODES.MISSING);
  }
  if ((s.strategy?.name === 'internet-location-then-dynamic-weight' || s.strategy?.name === 'measured-latency-then-dynamic-weight') && !has('next-hop-members')) {
    ctx.error(s.strategy.pos, `strategy '${s.strategy.name}' needs 'next-hop-members' in service '${s.name}'`, CONFIG_CODES.MISSING);
  }
}

/** `service NAME:` or a named service `NAME:` inside a tier block. */
export function interpretService(ctx: LoadContext, node: Node, nameWord: Word | undefined, scope: Scope, tier?: Tier): Service | undefined {
  const name = checkName(ctx, nameWord, 'service', node.pos);
  if (name === undefined || !nameWord) return undefined;
  const s: Service = { kind: 'service', name, pos: nameWord.pos, tier, delivery: scope.delivery?.name };
  dispatch(ctx, node.children, 'service', serviceTable(ctx, s, scope));
  finishService(ctx, s, node.children);
  if (tier === undefined && scope.parent === undefined) defineTopLevel(ctx, scope, s);
  else ctx.define(scope.services, 'service', s);
  return s;
}

/**
 * Top-level services are one name space per tier (`servingTier`): seed examples 1, 2 and 3 all
 * write `service my-service`, as the service, cluster and datacenter pick of one service.
 */
function defineTopLevel(ctx: LoadContext, scope: Scope, s: Service): void {
  const tier = servingTier(s);
  const same = [...scope.services.values()].find((x) => x.name === s.name && x.tier === undefined && servingTier(x) === tier);
  if (same) {
    const p = same.pos;
    ctx.error(s.pos, `duplicate ${tier}-pick service '${s.name}' (first defined at ${p.file}:${p.line}:${p.col})`, CONFIG_CODES.DUPLICATE);
    return;
  }
  scope.services.set(scope.services.has(s.name) ? `${s.name}@${tier}` : s.name, s);
}
