/**
 * Real DNSSEC tools for tests, one harness for every DNSSEC test: keys made by `dnssec-keygen`
 * (BIND's K<zone>+<alg>+<tag>.key/.private pair, with optional timing metadata), DS records by
 * `dnssec-dsfromkey`, Unbound as a validating resolver stubbed to the server under test (and
 * to nothing else), `delv` straight against an authoritative server, and `dig` replies read
 * into rcode / flags / records.
 *
 * Guard a test with `requireTools(this, ...VALIDATOR_TOOLS)` (test/support/tools.ts): under CI
 * a missing tool is a failure. Everything started here is stopped by its `stop()`, and killed
 * at the latest when the test process exits; temp dirs are removed by `stop()`/`remove()`.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/** The executables this harness runs. */
export const VALIDATOR_TOOLS = ['dnssec-keygen', 'dnssec-dsfromkey', 'dnssec-settime', 'unbound', 'unbound-control', 'dig', 'delv'];

/** DNSSEC algorithm numbers the project signs with: ECDSAP256SHA256 (13) and ED25519 (15). */
export type Alg = 13 | 15;
const ALG_NAME: Record<Alg, string> = { 13: 'ECDSAP256SHA256', 15: 'ED25519' };

/** A key's role: a KSK (flags 257, signs DNSKEY), a ZSK (256) or a CSK (257, signs everything). */
export type KeyRole = 'ksk' | 'zsk' | 'csk';

/**
 * Timing metadata as dnssec-keygen / dnssec-settime take it: an absolute `YYYYMMDDHHMMSS`
 * (UTC), an offset from now (`+30`, `-1h`, `+2d`; seconds without a unit), `now`, or `none`.
 * A Date is written as the absolute form.
 */
export type KeyTime = string | Date;
export interface KeyTiming {
  publish?: KeyTime;
  activate?: KeyTime;
  inactive?: KeyTime;
  delete?: KeyTime;
  /** CDS/CDNSKEY publication (`-P sync`) and deletion (`-D sync`). */
  syncPublish?: KeyTime;
  syncDelete?: KeyTime;
}

/** One key pair on disk. */
export interface DnssecKey {
  /** Zone name, no trailing dot. */
  zone: string;
  dir: string;
  /** `K<zone>.+013+12345` (without .key / .private). */
  base: string;
  keyFile: string;
  privateFile: string;
  tag: number;
  alg: Alg;
  flags: 256 | 257;
  /** The DNSKEY record: `zone. TTL IN DNSKEY flags 3 alg base64` (base64 in one piece). */
  dnskey: string;
  /** The DNSKEY RDATA public key (base64, one piece). */
  publicKey: string;
  /** Its DS record with SHA-256 (digest type 2): `zone. IN DS tag alg 2 hex`. */
  ds: string;
  /** The timing fields the .key file carries (`Created`, `Publish`, `Activate`, …) as written there. */
  timing: Record<string, string>;
}

/** A zone's keys in one temp dir. */
export interface KeySet {
  zone: string;
  dir: string;
  keys: DnssecKey[];
  /** The key signing DNSKEY (KSK or CSK). */
  ksk: DnssecKey;
  /** The key signing the other RRsets (the ZSK, or the CSK itself). */
  zsk: DnssecKey;
  /** Trust anchors standing for the parent's DS set: the DS of every KSK/CSK in the set. */
  anchors(): string[];
  /** A further key in the same dir (a rollover's successor). */
  add(role: KeyRole, opts?: { alg?: Alg; ttl?: number; timing?: KeyTiming }): DnssecKey;
  /** Re-reads every key file of the dir (after dnssec-settime or files added by hand). */
  reload(): DnssecKey[];
  remove(): void;
}

const abs = (t: KeyTime): string => (t instanceof Date ? t.toISOString().replace(/[-:T]/g, '').slice(0, 14) : t);

function timingArgs(t: KeyTiming | undefined): string[] {
  if (!t) return [];
  const out: string[] = [];
  if (t.publish !== undefined) out.push('-P', abs(t.publish));
  if (t.activate !== undefined) out.push('-A', abs(t.activate));
  if (t.inactive !== undefined) out.push('-I', abs(t.inactive));
  if (t.delete !== undefined) out.push('-D', abs(t.delete));
  if (t.syncPublish !== undefined) out.push('-P', 'sync', abs(t.syncPublish));
  if (t.syncDelete !== undefined) out.push('-D', 'sync', abs(t.syncDelete));
  return out;
}

const run = (cmd: string, args: string[], cwd?: string): string => execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** The first RR line of a master-file text (comments dropped, base64 chunks joined). */
function rrLine(text: string, type: string): string {
  const line = text.split('\n').find((l) => !l.startsWith(';') && new RegExp(`\\s${type}\\s`).test(l));
  if (!line) throw new Error(`no ${type} record in:\n${text}`);
  return line.trim();
}

/** Reads a `K….key` file (and checks its `.private` is beside it). */
export function readKey(keyFile: string): DnssecKey {
  const m = /K(.+)\.\+(\d{3})\+(\d{5})\.key$/.exec(keyFile);
  if (!m) throw new Error(`not a BIND key file name: ${keyFile}`);
  const privateFile = keyFile.replace(/\.key$/, '.private');
  if (!existsSync(privateFile)) throw new Error(`no private key beside ${keyFile}`);
  const text = readFileSync(keyFile, 'utf8');
  const timing: Record<string, string> = {};
  for (const t of text.matchAll(/^; (\w+): (\d{14})/gm)) timing[t[1] as string] = t[2] as string;
  const f = rrLine(text, 'DNSKEY').split(/\s+/);
  const i = f.indexOf('DNSKEY');
  const publicKey = f.slice(i + 4).join('');
  const dnskey = [...f.slice(0, i + 4), publicKey].join(' ');
  const ds = rrLine(run('dnssec-dsfromkey', ['-2', keyFile]), 'DS').split(/\s+/).join(' ');
  return {
    zone: (m[1] as string).replace(/\.$/, ''),
    dir: keyFile.slice(0, keyFile.lastIndexOf('/')),
    base: keyFile.slice(keyFile.lastIndexOf('/') + 1, -'.key'.length),
    keyFile,
    privateFile,
    tag: Number(m[3]),
    alg: Number(m[2]) as Alg,
    flags: Number(f[i + 1]) as 256 | 257,
    dnskey,
    publicKey,
    ds,
    timing,
  };
}

/** `dnssec-keygen` one key of `zone` into `dir`. `ttl` is the DNSKEY TTL written in the file (-L). */
export function makeKey(dir: string, zone: string, opts: { role: KeyRole; alg?: Alg; ttl?: number; timing?: KeyTiming }): DnssecKey {
  const args = ['-q', '-K', dir, '-a', ALG_NAME[opts.alg ?? 13], '-n', 'ZONE'];
  if (opts.role !== 'zsk') args.push('-f', 'KSK');
  if (opts.ttl !== undefined) args.push('-L', String(opts.ttl));
  args.push(...timingArgs(opts.timing), zone.replace(/\.$/, '') + '.');
  const base = run('dnssec-keygen', args).trim();
  return readKey(join(dir, `${base}.key`));
}

/** Changes a key's timing metadata with `dnssec-settime` (as an operator does in a rollover) and re-reads it. */
export function setTiming(key: DnssecKey, timing: KeyTiming): DnssecKey {
  run('dnssec-settime', ['-K', key.dir, ...timingArgs(timing), key.base]);
  return readKey(key.keyFile);
}

/**
 * Keys for `zone` in a new temp dir (or `dir`): a KSK + ZSK pair, or one CSK with `csk`.
 * `ttl` is the DNSKEY TTL; `ksk`/`zsk` timing default to dnssec-keygen's (published and active now).
 */
export function makeKeys(zone: string, opts: { alg?: Alg; csk?: boolean; ttl?: number; dir?: string; ksk?: KeyTiming; zsk?: KeyTiming } = {}): KeySet {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `anypick-keys-${process.pid}-`));
  const ksk = makeKey(dir, zone, { role: opts.csk ? 'csk' : 'ksk', alg: opts.alg, ttl: opts.ttl, timing: opts.ksk });
  const zsk = opts.csk ? ksk : makeKey(dir, zone, { role: 'zsk', alg: opts.alg, ttl: opts.ttl, timing: opts.zsk });
  const set: KeySet = {
    zone: zone.replace(/\.$/, ''),
    dir,
    keys: opts.csk ? [ksk] : [ksk, zsk],
    ksk,
    zsk,
    anchors: () => set.keys.filter((k) => k.flags === 257).map((k) => k.ds),
    add: (role, o = {}) => {
      const k = makeKey(dir, zone, { role, alg: o.alg ?? opts.alg, ttl: o.ttl ?? opts.ttl, timing: o.timing });
      set.keys.push(k);
      return k;
    },
    reload: () => {
      set.keys = readdirSync(dir).filter((f) => f.endsWith('.key')).map((f) => readKey(join(dir, f)));
      const find = (k: DnssecKey): DnssecKey => set.keys.find((x) => x.base === k.base) ?? k;
      set.ksk = find(set.ksk);
      set.zsk = find(set.zsk);
      return set.keys;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return set;
}

/** A DS (or DNSKEY) trust anchor with one digit / character of its digest or key changed: validation against it must fail. */
export function tamper(anchor: string): string {
  const f = anchor.trim().split(/\s+/);
  const last = f[f.length - 1] as string;
  const ch = last[4] as string;
  // Hex digests compare without case: 'A' → 'a' would be no change at all.
  f[f.length - 1] = last.slice(0, 4) + (ch.toLowerCase() === 'a' ? 'b' : 'a') + last.slice(5);
  return f.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Processes started here, killed when the test process exits if a test forgot them.

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// dig

/** One resource record as dig prints it. */
export interface Rr {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

/** A reply as dig reports it. */
export interface DigResult {
  rcode: string;
  flags: string[];
  /** AD: the resolver validated the answer. */
  ad: boolean;
  aa: boolean;
  tc: boolean;
  answer: Rr[];
  authority: Rr[];
  /** Extended DNS error text (`; EDE: 6 (DNSSEC Bogus): …`), when given. */
  ede?: string;
  raw: string;
}

export interface DigOptions {
  /** Set DO (+dnssec; default true). */
  dnssec?: boolean;
  /** Set CD (checking disabled). */
  cd?: boolean;
  /** RD (default true: asking a resolver). */
  rd?: boolean;
  tcp?: boolean;
  /** EDNS Client Subnet to send, e.g. `198.51.100.0/24`. */
  subnet?: string;
  /** Seconds per try (default 3) and tries (default 2). */
  time?: number;
  tries?: number;
}

const SECTION = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/;

/** Parses dig's default output. */
export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z0-9]+)/.exec(raw);
  const flagsLine = /;; flags: ([a-z ]*);/.exec(raw);
  if (!status || !flagsLine) throw new Error(`no reply in dig output:\n${raw}`);
  const flags = (flagsLine[1] as string).trim().split(/\s+/);
  const sections: Record<string, Rr[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let cur: Rr[] | undefined;
  for (const line of raw.split('\n')) {
    const s = SECTION.exec(line);
    if (s) {
      cur = sections[s[1] as string];
      continue;
    }
    if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') cur = undefined;
      continue;
    }
    if (!cur) continue;
    const f = line.trim().split(/\s+/);
    cur.push({ name: (f[0] as string).toLowerCase(), ttl: Number(f[1]), type: f[3] as string, data: f.slice(4).join(' ') });
  }
  const ede = /; EDE: (.*)/.exec(raw);
  return {
    rcode: status[1] as string,
    flags,
    ad: flags.includes('ad'),
    aa: flags.includes('aa'),
    tc: flags.includes('tc'),
    answer: sections.ANSWER as Rr[],
    authority: sections.AUTHORITY as Rr[],
    ede: ede?.[1],
    raw,
  };
}

/** `dig @host -p port name type` with the options; rejects when dig gets no reply. */
export function dig(host: string, port: number, name: string, type: string, opts: DigOptions = {}): Promise<DigResult> {
  const args = [`@${host}`, '-p', String(port), `+time=${opts.time ?? 3}`, `+tries=${opts.tries ?? 2}`, '+split=0', '+nocmd', '+nostats'];
  if (opts.dnssec ?? true) args.push('+dnssec');
  if (opts.cd) args.push('+cd');
  if (opts.rd === false) args.push('+nord');
  if (opts.tcp) args.push('+tcp');
  if (opts.subnet) args.push(`+subnet=${opts.subnet}`);
  args.push(name, type);
  return new Promise((resolve, reject) =>
    execFile('dig', args, { encoding: 'utf8' }, (err, out) => {
      if (err) return reject(new Error(`dig ${args.join(' ')}: ${err.message}\n${out}`));
      try {
        resolve(parseDig(out));
      } catch (e) {
        reject(e as Error);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Unbound

/** A zone Unbound sends to one address (a `stub-zone:`). */
export interface Stub {
  zone: string;
  /** IPv4 loopback address of the server (127.x.y.z). */
  host?: string;
  port: number;
}

export interface UnboundOptions {
  stubs: Stub[];
  /** Trust anchors: DS or DNSKEY records in master-file form (`zone. IN DS …`). */
  anchors: string[];
  /**
   * Forward EDNS Client Subnet to the stubs (Unbound's subnetcache module in front:
   * `module-config: "subnetcache validator iterator"`); the client's `+subnet` is passed on
   * and answers are cached per subnet.
   */
  ecs?: boolean;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** More `server:` lines (without the indent). */
  extra?: string[];
}

/** A running validating Unbound. */
export interface Unbound {
  host: string;
  port: number;
  dir: string;
  /** unbound.conf as written. */
  config: string;
  /** Its log so far (verbosity 1, val-log-level 2: each validation failure is logged with its reason). */
  log(): string;
  /** dig at it (DO set and RD set by default). */
  query(name: string, type: string, opts?: DigOptions): Promise<DigResult>;
  /** `unbound-control flush_zone` (default: every zone of the stubs) and `flush_bogus`, `flush_negative`. Not used during a rollover: the point there is the cache. */
  flush(zone?: string): void;
  /**
   * Replaces the trust anchor set and restarts Unbound on the same port (cache lost). Stands for
   * a change of the parent's DS set; the caller says why it may lose the cache.
   */
  restart(anchors: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** IPv4 space except 127.0.0.0/8: Unbound may send to loopback only (do-not-query-address). */
const NOT_LOOPBACK = ['0.0.0.0/2', '64.0.0.0/3', '96.0.0.0/4', '112.0.0.0/5', '120.0.0.0/6', '124.0.0.0/7', '126.0.0.0/8', '128.0.0.0/1'];

/** The unbound.conf of a validating resolver that asks only the stubs. */
export function unboundConfig(dir: string, host: string, port: number, opts: UnboundOptions): string {
  for (const s of opts.stubs) if (!/^127\.\d+\.\d+\.\d+$/.test(s.host ?? '127.0.0.1')) throw new Error(`stub ${s.zone}: only IPv4 loopback servers (${s.host})`);
  const q = (s: string): string => `"${s}"`;
  const fqdn = (z: string): string => z.replace(/\.$/, '') + '.';
  return [
    'server:',
    `  interface: ${host}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: ${q(dir)}`,
    '  pidfile: ""',
    '  logfile: ""',
    '  use-syslog: no',
    '  log-time-ascii: yes',
    '  verbosity: 1',
    '  val-log-level: 2',
    '  ede: yes',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  outgoing-range: 64',
    '  msg-cache-size: 4m',
    '  rrset-cache-size: 4m',
    '  infra-keep-probing: yes',
    '  trust-anchor-signaling: no',
    '  root-key-sentinel: no',
    '  cache-min-ttl: 0',
    `  module-config: ${q(opts.ecs ? 'subnetcache validator iterator' : 'validator iterator')}`,
    ...(opts.ecs ? ['  client-subnet-always-forward: yes', '  max-client-subnet-ipv4: 24', ...opts.stubs.map((s) => `  send-client-subnet: ${s.host ?? '127.0.0.1'}`)] : []),
    // It asks the stubs and nothing else: loopback may be queried, everything else may not;
    // client queries outside the stub zones are refused before any lookup (no root priming).
    '  do-not-query-localhost: no',
    ...NOT_LOOPBACK.map((a) => `  do-not-query-address: ${a}`),
    '  access-control: 127.0.0.0/8 allow',
    '  local-zone: "." refuse',
    // transparent: more specific than Unbound's default local zones (`test.`, `invalid.`, …).
    ...opts.stubs.map((s) => `  local-zone: ${q(fqdn(s.zone))} transparent`),
    `  trust-anchor-file: ${q(join(dir, 'anchors.txt'))}`,
    ...(opts.extra ?? []).map((l) => `  ${l}`),
    ...opts.stubs.flatMap((s) => ['stub-zone:', `  name: ${q(fqdn(s.zone))}`, `  stub-addr: ${s.host ?? '127.0.0.1'}@${s.port}`]),
    'remote-control:',
    '  control-enable: yes',
    `  control-interface: ${q(join(dir, 'control.sock'))}`,
    '  control-use-cert: no',
    '',
  ].join('\n');
}

/** Starts a validating Unbound (foreground, own config and temp dir) and waits until it answers. */
export async function startUnbound(opts: UnboundOptions): Promise<Unbound> {
  const host = opts.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), `anypick-unbound-${process.pid}-`));
  const conf = join(dir, 'unbound.conf');
  let child: ChildProcess | undefined;
  let logText = '';
  let port = 0;
  let config = '';

  const launch = async (anchors: string[], fixedPort?: number): Promise<void> => {
    writeFileSync(join(dir, 'anchors.txt'), anchors.map((a) => a.trim()).join('\n') + '\n');
    for (let attempt = 0; attempt < 10; attempt++) {
      port = fixedPort ?? (await freePort([host]));
      config = unboundConfig(dir, host, port, opts);
      writeFileSync(conf, config);
      const c = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      live.add(c);
      c.once('exit', () => live.delete(c));
      const onData = (d: Buffer): void => {
        logText += d.toString();
      };
      c.stdout?.on('data', onData);
      c.stderr?.on('data', onData);
      const from = logText.length;
      for (let i = 0; i < 100 && c.exitCode === null; i++) {
        if (logText.slice(from).includes('start of service')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (c.exitCode === null && logText.slice(from).includes('start of service')) {
        child = c;
        return;
      }
      c.kill('SIGKILL');
      if (/address already in use/i.test(logText.slice(from)) && fixedPort === undefined) continue;
      throw new Error(`unbound did not start:\n${logText.slice(from)}\n${config}`);
    }
    throw new Error('no free port for unbound');
  };

  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await launch(opts.anchors);
  const control = (...args: string[]): string => run('unbound-control', ['-c', conf, ...args]);
  return {
    host,
    get port() {
      return port;
    },
    dir,
    get config() {
      return config;
    },
    log: () => logText,
    query: (name, type, o) => dig(host, port, name, type, o),
    flush: (zone) => {
      for (const z of zone ? [zone] : opts.stubs.map((s) => s.zone)) control('flush_zone', z);
      control('flush_bogus');
      control('flush_negative');
    },
    restart: async (anchors) => {
      await kill();
      await launch(anchors, port);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// delv

/** What delv concluded. */
export interface DelvResult {
  /** `; fully validated` or `; negative response, fully validated`. */
  validated: boolean;
  /** A validated or unvalidated negative answer (NXDOMAIN / NODATA). */
  negative: boolean;
  /** `; unsigned answer` (an insecure name). */
  unsigned: boolean;
  /** The first `;` status line delv printed on stdout (`fully validated`, …). */
  status: string;
  /** `resolution failed: …` / `broken trust chain` etc. from stderr (delv exits 0 on those). */
  failure?: string;
  /** The records of a positive answer (RRSIG included). */
  answer: Rr[];
  raw: string;
}

/** delv's `trust-anchors { … };` statement for DS / DNSKEY records. */
export function delvAnchors(anchors: string[]): string {
  const lines = anchors.map((a) => {
    const f = a.trim().split(/\s+/);
    const t = f.findIndex((x) => x === 'DS' || x === 'DNSKEY');
    const owner = `"${(f[0] as string).replace(/\.$/, '')}."`;
    const r = f.slice(t + 1);
    return f[t] === 'DS' ? `  ${owner} static-ds ${r.slice(0, 3).join(' ')} "${r.slice(3).join('')}";` : `  ${owner} static-key ${r.slice(0, 3).join(' ')} "${r.slice(3).join('')}";`;
  });
  return `trust-anchors {\n${lines.join('\n')}\n};\n`;
}

/**
 * `delv @host -p port -a ANCHORS +root=ZONE name type`: delv as its own validating resolver
 * asking the authoritative server directly, with the zone's DS/DNSKEY as the root of trust
 * (+root names the anchor's owner; nothing above the zone is asked).
 */
export function delv(host: string, port: number, zone: string, anchors: string[], name: string, type: string, opts: { tcp?: boolean } = {}): Promise<DelvResult> {
  const dir = mkdtempSync(join(tmpdir(), `anypick-delv-${process.pid}-`));
  const file = join(dir, 'anchors.conf');
  writeFileSync(file, delvAnchors(anchors));
  const args = [`@${host}`, '-p', String(port), '-a', file, `+root=${zone.replace(/\.$/, '')}`, '+split=0', ...(opts.tcp ? ['+tcp'] : []), name, type];
  return new Promise((resolve, reject) =>
    execFile('delv', args, { encoding: 'utf8', timeout: 30_000 }, (err, out, errOut) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) return reject(new Error(`delv ${args.join(' ')}: ${err.message}\n${out}${errOut}`));
      const status = (out.split('\n').find((l) => l.startsWith('; ')) ?? '').slice(2).trim();
      const failure = /;; (resolution failed: .*|.*broken trust chain.*|.*no valid .*)/.exec(errOut)?.[1];
      const answer = out
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith(';'))
        .map((l) => {
          const f = l.trim().split(/\s+/);
          return { name: (f[0] as string).toLowerCase(), ttl: Number(f[1]), type: f[3] as string, data: f.slice(4).join(' ') };
        });
      const negative = status.startsWith('negative response');
      resolve({
        validated: /(^|, )fully validated$/.test(status),
        negative,
        unsigned: status === 'unsigned answer',
        status,
        // A validated negative answer is also reported as "resolution failed: ncache …" on stderr.
        failure: negative && /ncache/.test(failure ?? '') ? undefined : failure,
        answer,
        raw: out + errOut,
      });
    }),
  );
}
