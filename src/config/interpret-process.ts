/**
 * Interprets `process NAME:` blocks: `run`, `listen`, named check blocks, `routes neighbor`,
 * `bgp: PROCESS.CHECK`, `prefix:` and `drain:`.
 */
import { parseCommunity } from '../util/community';
import { splitHostPort } from '../util/host-port';
import type { Node, Word } from './lexer';
import { charPos } from './lexer';
import { CONFIG_CODES, checkName, dispatch } from './context';
import type { LoadContext, Scope } from './context';
import { checkRef } from './refs';
import { blockAt } from './interpret-members';
import { urlValue } from './interpret-service';
import { parseAddress, parseBlock, parseAsn, parseDomainName, parseDuration, parseIntIn, parsePort, ValueError } from './values';
import type { Neighbor, Process, ProcessCheck, SecretRef } from './model';

/** BFD defaults (docs/bgp.md): 300 ms × 3, FRR's defaults; detection after 0.9 s. */
export const BFD_DEFAULTS = { intervalMs: 300, multiplier: 3 } as const;

/**
 * `password env:NAME`, `file:PATH` or `credential:NAME`. A literal secret is refused: the
 * delivery files live in git, the key must not.
 */
function parseSecretRef(text: string): Omit<SecretRef, 'pos'> {
  const m = /^(env|file|credential):(.+)$/.exec(text);
  if (!m) throw new ValueError(`password takes env:NAME, file:PATH or credential:NAME (a literal key would end up in git), got '${text.length > 3 ? text.slice(0, 2) + '…' : '…'}'`);
  const source = m[1] as SecretRef['source'];
  if (source === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[2])) throw new ValueError(`bad environment variable name '${m[2]}'`);
  if (source === 'credential' && /[/\0]/.test(m[2])) throw new ValueError(`credential name '${m[2]}' must not contain '/'`);
  return { source, name: m[2] };
}

const CHECK_KINDS = ['dns', 'http', 'tcp', 'exec'] as const;
const QUERY_TYPES = ['A', 'AAAA', 'SOA', 'NS', 'TXT', 'MX', 'CNAME', 'SRV', 'CAA', 'PTR'];
const CHECK_KEYS = ['check', 'interval', 'timeout', 'rise', 'fall', 'query', 'tcp'];

function one<T>(ctx: LoadContext, n: Node, parse: (t: string) => T, set: (v: T) => void): void {
  const w = ctx.oneWord(n);
  const v = w && ctx.value(w, parse);
  if (v !== undefined) set(v);
}

function checkKind(ctx: LoadContext, n: Node, c: ProcessCheck): void {
  const words = ctx.valueWords(n);
  if (!words) return;
  const kind = words[0].text as ProcessCheck['kind'];
  if (!CHECK_KINDS.includes(kind)) {
    ctx.error(words[0].pos, `unknown check '${words[0].text}' (expected one of: dns, http URL, tcp ADDR:PORT, exec "COMMAND")`, CONFIG_CODES.VALUE);
    return;
  }
  c.kind = kind;
  const arg = words[1];
  if (kind === 'dns') { ctx.extraWords(words, 1, "'check: dns'"); return; }
  if (!arg) {
    ctx.error(words[0].pos, `'check: ${kind}' needs ${kind === 'http' ? 'a URL' : kind === 'tcp' ? 'ADDR:PORT' : 'a quoted command'}`, CONFIG_CODES.MISSING);
    return;
  }
  ctx.extraWords(words, 2, `'check: ${kind}'`);
  if (kind === 'http') {
    const u = urlValue(ctx, arg);
    if (u && u.scheme !== 'http' && u.scheme !== 'https') ctx.error(arg.pos, `http check needs an http:// or https:// URL`, CONFIG_CODES.VALUE);
    else if (u) c.target = arg.text;
  } else if (kind === 'tcp') {
    const m = splitHostPort(arg.text);
    if (!m) { ctx.error(arg.pos, `bad tcp check target '${arg.text}' (expected ADDR:PORT or [IPv6]:PORT)`, CONFIG_CODES.VALUE); return; }
    const a = ctx.value({ ...arg, text: m.host, pos: charPos(arg, m.hostOffset) }, parseAddress);
    const p = ctx.value({ ...arg, text: m.portText, pos: charPos(arg, m.portOffset) }, parsePort);
    if (a && p !== undefined) c.target = arg.text;
  } else {
    if (!arg.quoted || arg.text.trim() === '') { ctx.error(arg.pos, `exec check needs a non-empty quoted command`, CONFIG_CODES.VALUE); return; }
    c.target = arg.text;
  }
}

function checkBlock(ctx: LoadContext, node: Node, process: string): ProcessCheck | undefined {
  const name = checkName(ctx, node.head, 'check', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 0, `check block '${name}'`);
  const c: ProcessCheck = { name, process, pos: node.pos, kind: 'dns', intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2, tcp: false };
  let timeoutPos: Word | undefined;
  dispatch(ctx, node.children, 'check block', {
    check: (n) => checkKind(ctx, n, c),
    interval: (n) => one(ctx, n, parseDuration, (v) => { c.intervalMs = v; }),
    timeout: (n) => { timeoutPos = n.args[0] ?? n.children[0]?.head; one(ctx, n, parseDuration, (v) => { c.timeoutMs = v; }); },
    rise: (n) => one(ctx, n, (t) => parseIntIn(t, 1, 100, 'rise'), (v) => { c.rise = v; }),
    fall: (n) => one(ctx, n, (t) => parseIntIn(t, 1, 100, 'fall'), (v) => { c.fall = v; }),
    query: (n) => {
      const words = ctx.valueWords(n);
      if (!words) return;
      if (words.length !== 2) { ctx.error(words[0].pos, `query needs NAME TYPE (e.g. 'query: example.com SOA')`, CONFIG_CODES.VALUE); return; }
      const qn = ctx.value(words[0], parseDomainName);
      const qt = words[1].text.toUpperCase();
      if (!QUERY_TYPES.includes(qt)) { ctx.error(words[1].pos, `bad query type '${words[1].text}' (expected one of: ${QUERY_TYPES.join(', ')})`, CONFIG_CODES.VALUE); return; }
      if (qn !== undefined) c.query = { name: qn, type: qt, pos: words[0].pos };
    },
    tcp: (n) => one(ctx, n, (t) => {
      if (t !== 'yes' && t !== 'no') throw new ValueError(`bad tcp '${t}' (expected yes or no)`);
      return t === 'yes';
    }, (v) => { c.tcp = v; }),
  });
  if (!node.children.some((ch) => ch.head.text === 'check')) ctx.error(node.pos, `check block '${name}' needs a 'check:' line`, CONFIG_CODES.MISSING);
  if (c.timeoutMs > c.intervalMs && timeoutPos) ctx.error(timeoutPos.pos, `timeout (${c.timeoutMs}ms) must not exceed interval (${c.intervalMs}ms)`, CONFIG_CODES.VALUE);
  if (c.kind !== 'dns' && (c.query || c.tcp)) ctx.error(node.pos, `'query' and 'tcp' apply to dns checks only`, CONFIG_CODES.VALUE);
  return c;
}

function neighbor(ctx: LoadContext, node: Node): Neighbor | undefined {
  if (node.args[0]?.text !== 'neighbor' || !node.args[1]) {
    ctx.error(node.pos, `expected 'routes neighbor ADDR'`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  ctx.extraWords(node.args, 2, 'the neighbor address');
  const a = ctx.value(node.args[1], parseAddress);
  if (!a) return undefined;
  const nb: Neighbor = { address: a.address, family: a.family, pos: node.args[1].pos, localAsn: 0, peerAsn: 0, port: 179, holdTime: 90, passive: false, communities: [], ttlSecurity: false };
  let bfdOn = false;
  let bfdTiming: Word | undefined;
  const bfd = { intervalMs: BFD_DEFAULTS.intervalMs as number, multiplier: BFD_DEFAULTS.multiplier as number };
  dispatch(ctx, node.children, 'neighbor', {
    'local-address': (n) => {
      const w = ctx.oneWord(n);
      const la = w && ctx.value(w, parseAddress);
      if (w && la && la.family !== a.family) ctx.error(w.pos, `local-address ${la.address} is IPv${la.family} but the neighbor is IPv${a.family}`, CONFIG_CODES.VALUE);
      else if (la) nb.localAddress = la.address;
    },
    'local-asn': (n) => one(ctx, n, parseAsn, (v) => { nb.localAsn = v; }),
    'peer-asn': (n) => one(ctx, n, parseAsn, (v) => { nb.peerAsn = v; }),
    port: (n) => one(ctx, n, parsePort, (v) => { nb.port = v; }),
    // RFC 4271 §4.2: Hold Time is 0 or at least 3 seconds.
    'hold-time': (n) => one(ctx, n, (t) => {
      const v = parseIntIn(t, 0, 65535, 'hold-time');
      if (v === 1 || v === 2) throw new ValueError(`hold-time must be 0 or 3..65535 seconds (RFC 4271 §4.2), got ${v}`);
      return v;
    }, (v) => { nb.holdTime = v; }),
    passive: (n) => { ctx.extraWords(n.args, 0, "'passive'"); ctx.noChildren(n); nb.passive = true; },
    'router-id': (n) => one(ctx, n, (t) => {
      if (parseAddress(t).family !== 4) throw new ValueError(`router-id must be an IPv4 address (A.B.C.D), got '${t}'`);
      return t;
    }, (v) => { nb.routerId = v; }),
    // RFC 1997: a community is two 16-bit halves, AS:VALUE.
    community: (n) => one(ctx, n, (t) => {
      try {
        return parseCommunity(t);
      } catch (err) {
        throw new ValueError((err as Error).message);
      }
    }, (v) => { nb.communities.push(v); }),
    med: (n) => one(ctx, n, (t) => parseIntIn(t, 0, 4294967295, 'med'), (v) => { nb.med = v; }),
    password: (n) => {
      const w = ctx.oneWord(n);
      const ref = w && ctx.value(w, parseSecretRef);
      if (w && ref) nb.password = { ...ref, pos: w.pos };
    },
    'ttl-security': (n) => { ctx.extraWords(n.args, 0, "'ttl-security'"); ctx.noChildren(n); nb.ttlSecurity = true; },
    bfd: (n) => { ctx.extraWords(n.args, 0, "'bfd'"); ctx.noChildren(n); bfdOn = true; },
    // RFC 5880 §6.8.1: intervals in microseconds; 10 ms is the floor we accept (a JavaScript timer).
    'bfd-interval': (n) => {
      bfdTiming ??= n.head;
      one(ctx, n, (t) => {
        const v = parseDuration(t);
        if (v < 10 || v > 60000) throw new ValueError(`bfd-interval must be 10ms..60s, got ${t}`);
        return v;
      }, (v) => { bfd.intervalMs = v; });
    },
    'bfd-multiplier': (n) => { bfdTiming ??= n.head; one(ctx, n, (t) => parseIntIn(t, 1, 255, 'bfd-multiplier'), (v) => { bfd.multiplier = v; }); },
  }, { repeatable: ['community'] });
  if (bfdOn) nb.bfd = bfd;
  else if (bfdTiming) ctx.error(bfdTiming.pos, `'${bfdTiming.text}' needs 'bfd;' on the same neighbor`, CONFIG_CODES.MISSING);
  if (nb.localAsn === 0 && !node.children.some((c) => c.head.text === 'local-asn')) ctx.error(nb.pos, `neighbor ${a.address} needs 'local-asn N;'`, CONFIG_CODES.MISSING);
  if (nb.peerAsn === 0 && !node.children.some((c) => c.head.text === 'peer-asn')) ctx.error(nb.pos, `neighbor ${a.address} needs 'peer-asn N;'`, CONFIG_CODES.MISSING);
  return nb;
}

/** `process NAME:`; `application` is the name of the file's application. */
export function interpretProcess(ctx: LoadContext, node: Node, scope: Scope, application: string): Process | undefined {
  const name = checkName(ctx, node.args[0], 'process', node.pos);
  if (name === undefined) return undefined;
  ctx.extraWords(node.args, 1, `process '${name}'`);
  const p: Process = { kind: 'process', name, pos: node.args[0].pos, application, checks: [], neighbors: [], prefixes: [] };
  const checks = new Map<string, ProcessCheck>();
  dispatch(ctx, node.children, 'process', {
    run: (n) => {
      const w = ctx.oneWord(n);
      if (w) p.run = { unit: w.text, pos: w.pos };
    },
    listen: (n) => {
      const words = ctx.valueWords(n);
      const a = words && ctx.value(words[0], parseAddress);
      if (!words || !a) return;
      let port: number | undefined;
      if (words.length > 1) {
        if (words[1].text !== 'port' || !words[2]) { ctx.error(words[1].pos, `unexpected '${words[1].text}' (expected 'listen: ADDR [port N]')`, CONFIG_CODES.SYNTAX); return; }
        port = ctx.value(words[2], parsePort);
        ctx.extraWords(words, 3, 'the port');
      }
      p.listen = { ...a, port, pos: words[0].pos };
    },
    routes: (n) => {
      const nb = neighbor(ctx, n);
      if (nb) p.neighbors.push(nb);
    },
    bgp: (n) => {
      const w = ctx.oneWord(n);
      if (w) p.bgp = checkRef(ctx, w, scope);
    },
    prefix: (n) => {
      const w = ctx.oneWord(n);
      if (!w) return;
      const b = blockAt(ctx, w, w.text);
      if (b && parseBlock(w.text).hostBits) ctx.error(w.pos, `prefix '${w.text}' has host bits set (the network is ${b.network})`, CONFIG_CODES.VALUE);
      else if (b) p.prefixes.push(b);
    },
    drain: (n) => one(ctx, n, parseDuration, (v) => { p.drainMs = v; }),
  }, {
    repeatable: ['routes', 'prefix'],
    expected: ['run', 'listen', 'routes', 'bgp', 'prefix', 'drain', 'or a check block NAME: with check: KIND'],
    fallback: (n) => {
      if (n.args.length > 0 || !n.children.some((c) => c.head.text === 'check' || CHECK_KEYS.includes(c.head.text))) return false;
      const c = checkBlock(ctx, n, name);
      if (c && ctx.define(checks, 'check block', c)) p.checks.push(c);
      return true;
    },
  });
  ctx.define(ctx.processes, 'process', p);
  return p;
}
