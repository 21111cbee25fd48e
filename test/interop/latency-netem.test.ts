/**
 * The measured-latency pick against real round trips (docs/datacenter-pick.md, "Measured
 * latency"): network namespaces — a hub routing between two client networks and three
 * datacenters, and a delay line in the hub (netem's job; this kernel has no sch_netem) holding
 * what each client sends to each datacenter for an amount of its own, chosen so that measured round trips contradict geography. Each datacenter runs
 * `anypick proxy --datacenter … --report-client-rtt` (TCP_INFO of every client connection,
 * reported per /24 to the DNS tier); the hub runs `anypick serve` with the delivery's
 * `measured-latency-then-dynamic-weight`. Clients make plain HTTP requests through each proxy;
 * `dig` with each network's ECS gets the datacenter it reaches fastest — and the geographic one
 * before any data arrived, and again once the delay to it is removed and new samples arrive.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsSet, ip, nsExec, nsSpawn } from '../../src/lab/netns';
import { MAIN } from '../support/anypick';
import { REPO_ROOT } from '../support/seed';
import { canUseNetns, requireTools } from '../support/tools';
import { RTT_BOUNDS_MS } from '../../src/signals/latency-extract';

const GEO = join(REPO_ROOT, 'geo-data', 'sample.mmdb');
const SERVE = '10.9.0.1';
const DNS_PORT = 5300;
const SIGNALS_PORT = 4318;
const HTTP_PORT = 8053;
const PROXY_PORT = 8080;
const BACKEND_PORT = 8081;
const TOKEN = (dc: number): string => `latency-netem-token-datacenter-${dc}-0123456789`;
/** The datacenter whose block an answer lies in (examples/seed/3-datacenter-pick.delivery's blocks). */
const BLOCKS: Array<[RegExp, string]> = [[/^2001:db8:ae21:77/, 'datacenter-1'], [/^2001:db8:478:28/, 'datacenter-2'], [/^2001:db8:c001:e4/, 'datacenter-3']];
/**
 * The clients: 10.1.0.0/24 is placed in the US by the sample database (nearest: datacenter-1),
 * 10.2.0.0/24 in Germany (nearest: datacenter-2). `delayMs[i]` is how long what the
 * client sends to datacenter-(i+1): for both networks the geographically nearest is the slowest.
 */
const CLIENTS = [
  { name: 'c1', net: '10.1.0', delayMs: [80, 10, 40], nearest: 'datacenter-1', fastest: 'datacenter-2' },
  { name: 'c2', net: '10.2.0', delayMs: [50, 90, 30], nearest: 'datacenter-2', fastest: 'datacenter-3' },
];
/**
 * The DNS tier's delivery. `exploration: 0%` and `spill-over: off` keep every answer to the
 * network's fastest group: the datacenters' reported load moves their dynamic factors, and with
 * spill-over a group below its capacity would send some networks on (docs/datacenter-pick.md).
 */
const DELIVERY = `service my-service:
  listen "https://example.com"
  next-hop-strategy:
    dynamic: measured-latency-then-dynamic-weight
    latency-tolerance: 5ms
    latency-min-samples: 3
    latency-max-age: 10m
    exploration: 0%
    spill-over: off
  next-hop-members:
    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56"
    datacenter-2 10 dyn "example.com AAAA IN 90 2001:db8:0478:2800::/56"
    datacenter-3 10 dyn "example.com AAAA IN 90 2001:db8:c001:e400::/56"
`;
/**
 * The datacenters' side (anypick proxy): each datacenter's cluster pick over one cluster, ready
 * from static configuration, whose service pick is a plain HTTP server on the datacenter's own
 * address (BACKEND_PORT): every request is answered 200, so no cluster is ever ejected.
 */
const PROXY_DELIVERY = `delivery global
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
  subscribe:
    presence @availability to membership
    readiness @availability to dynamic-weight
  channel @availability: endpoint "http://10.9.0.1:4318"
  lease: 3s
  report-interval: 1s
  datacenter-pick-service my-service:
    listen: "https://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
    next-hop-members:
      dynamic: membership.my-service.datacenter
${['ae21:7700', '0478:2800', 'c001:e400'].map((_, i) => `    datacenter-${i + 1}
      block: 10.9.${i + 1}.0/24
      cluster-pick-service:
        my-service:
          next-hop-strategy:
            dynamic: internet-location-then-dynamic-weight
          next-hop-members:
            dynamic: membership.my-service.cluster
        cluster-1
          block: 10.9.${i + 1}.2/32
`).join('')}`;
const ZONE = `$ORIGIN example.com.
$TTL 300
@    SOA ns1 hostmaster 1 4h 1h 2w 5m
     NS  ns1
ns1  A   192.0.2.53
`;

const DELAY_LINE = join(REPO_ROOT, 'test', 'support', 'delay-line.py');
const DELAY_DEV = 'delay0';
/** A delay-line rule: what client network NET.0/24 sends to datacenter DC waits MS. */
const rule = (net: string, dc: number, ms: number): string => `${net}.0/24>10.9.${dc}.2/32=${ms}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('interop: measured latency steers the datacenter pick (network namespaces, delayed links)', function () {
  this.timeout(120_000);
  const set = new NetnsSet();
  const tag = `l${process.pid % 100000}`;
  const hub = `${tag}hub`;
  const dcNs = (dc: number): string => `${tag}dc${dc}`;
  const cNs = (c: string): string => `${tag}${c}`;
  const dir = mkdtempSync(join(tmpdir(), 'anypick-latency-netem-'));
  const conf = join(dir, 'conf');
  let serveLog = '';
  let delayLine: ChildProcess;
  const proxyLogs: string[] = ['', '', ''];

  /** Waits until `log()` matches, or throws with it. */
  async function waitLog(what: string, log: () => string, re: RegExp, child: ChildProcess): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (re.test(log())) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`${what} did not start:\n${log()}`);
  }

  /** The datacenter of the answer to example.com AAAA with ECS NET.0/24 (and the ECS scope). */
  function answer(net: string): { dc: string; scope: number | undefined; raw: string } {
    const out = nsExec(hub, 'dig', ['+tries=1', '+time=2', '-p', String(DNS_PORT), `@${SERVE}`, 'example.com', 'AAAA', `+subnet=${net}.0/24`]);
    const aaaa = out.split('\n').filter((l) => !l.startsWith(';') && /\sAAAA\s/.test(l)).map((l) => l.trim().split(/\s+/).pop()!);
    const dcs = [...new Set(aaaa.map((a) => BLOCKS.find(([re]) => re.test(a))?.[1] ?? `? ${a}`))];
    const scope = /CLIENT-SUBNET: [\d.]+\/\d+\/(\d+)/.exec(out)?.[1];
    return { dc: dcs.join(','), scope: scope === undefined ? undefined : Number(scope), raw: out };
  }

  /** `n` new connections (one request each) from client `c` to every datacenter's proxy. */
  function browse(c: string, n: number, dcs = [1, 2, 3]): void {
    const urls = dcs.flatMap((dc) => Array.from({ length: n }, () => `http://10.9.${dc}.2:${PROXY_PORT}/`));
    // One curl per URL: a new TCP connection each (curl would reuse one for several URLs).
    const codes = nsExec(cNs(c), 'sh', ['-c', urls.map((u) => `curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 -H 'Host: example.com' ${u}`).join('; ')], 60_000);
    expect(codes.trim().split('\n'), `${c}: the proxies' answers`).to.deep.equal(urls.map(() => '200'));
  }

  /** serve's /latency.json for client network NET.0/24 (read inside the hub). */
  function learned(net: string): { estimates: Array<{ datacenter: string; rttMs: number; samples: number }> } {
    return JSON.parse(nsExec(hub, 'curl', ['-s', `http://${SERVE}:${HTTP_PORT}/latency.json?network=${net}.0/24`]));
  }

  async function answerUntil(net: string, want: string, ms: number): Promise<ReturnType<typeof answer>> {
    const end = Date.now() + ms;
    let last = answer(net);
    while (last.dc !== want && Date.now() < end) {
      await sleep(200);
      last = answer(net);
    }
    return last;
  }

  before(async function () {
    requireTools(this, 'ip', 'python3', 'dig', 'curl');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('network namespaces are needed (root with iproute2)');
      this.skip();
    }
    set.add(hub);
    ip(['link', 'set', 'lo', 'up'], hub);
    ip(['addr', 'add', `${SERVE}/32`, 'dev', 'lo'], hub);
    nsExec(hub, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const attach = (ns: string, net: string, ifHere: string): void => {
      set.add(ns);
      set.link(hub, `${ifHere}h`, ns, 'eth0');
      ip(['addr', 'add', `${net}.1/24`, 'dev', `${ifHere}h`], hub);
      ip(['addr', 'add', `${net}.2/24`, 'dev', 'eth0'], ns);
      ip(['route', 'add', 'default', 'via', `${net}.1`], ns);
    };
    for (const dc of [1, 2, 3]) attach(dcNs(dc), `10.9.${dc}`, `${tag}d${dc}`);
    for (const c of CLIENTS) attach(cNs(c.name), c.net, `${tag}${c.name}`);
    // What each client sends to datacenter N is held delayMs[N-1] by the delay line in the hub
    // (test/support/delay-line.py, a TUN device: this kernel has no sch_netem): traffic coming
    // in from a client link is routed into it, and routed on as it comes out.
    const rules = CLIENTS.flatMap((c) => c.delayMs.map((d, i) => rule(c.net, i + 1, d)));
    delayLine = set.track(nsSpawn(hub, 'python3', [DELAY_LINE, DELAY_DEV, ...rules], { stdio: ['pipe', 'pipe', 'pipe'] }));
    let dlLog = '';
    delayLine.stdout!.on('data', (d: Buffer) => (dlLog += d.toString()));
    delayLine.stderr!.on('data', (d: Buffer) => (dlLog += d.toString()));
    await waitLog('the delay line', () => dlLog, /^ready$/m, delayLine);
    ip(['link', 'set', DELAY_DEV, 'up'], hub);
    ip(['route', 'add', 'default', 'dev', DELAY_DEV, 'table', '100'], hub);
    for (const k of ['all', 'default', DELAY_DEV]) nsExec(hub, 'sysctl', ['-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
    for (const c of CLIENTS) ip(['rule', 'add', 'iif', `${tag}${c.name}h`, 'lookup', '100'], hub);
    execFileSync('mkdir', ['-p', conf]);
    writeFileSync(join(conf, 'example.com.zone'), ZONE);
    writeFileSync(join(conf, 'latency.delivery'), DELIVERY);
    const proxyConf = join(dir, 'proxy');
    execFileSync('mkdir', ['-p', proxyConf]);
    writeFileSync(join(proxyConf, 'datacenters.delivery'), PROXY_DELIVERY);
    writeFileSync(join(dir, 'tokens'), [1, 2, 3].map((dc) => `${TOKEN(dc)} datacenter my-service datacenter-${dc}\n`).join(''));
    const serve = set.track(nsSpawn(hub, process.execPath, [MAIN, 'serve', conf, '--geoip-db', GEO, '--dns', `${SERVE}:${DNS_PORT}`, '--http', `${SERVE}:${HTTP_PORT}`, '--signals', `${SERVE}:${SIGNALS_PORT}`, '--tokens', join(dir, 'tokens')]));
    serve.stderr!.on('data', (d: Buffer) => (serveLog += d.toString()));
    serve.stdout!.on('data', (d: Buffer) => (serveLog += d.toString()));
    await waitLog('anypick serve', () => serveLog, /"msg":"serving"/, serve);
    for (const dc of [1, 2, 3]) {
      const backend = set.track(nsSpawn(dcNs(dc), 'python3', ['-m', 'http.server', String(BACKEND_PORT), '--bind', `10.9.${dc}.2`, '--directory', proxyConf]));
      let backendLog = '';
      backend.stderr!.on('data', (d: Buffer) => (backendLog += d.toString()));
      for (let i = 0; i < 100; i++) {
        try {
          nsExec(dcNs(dc), 'curl', ['-sf', '-o', '/dev/null', `http://10.9.${dc}.2:${BACKEND_PORT}/`]);
          break;
        } catch {
          if (i === 99) throw new Error(`the backend of datacenter-${dc} did not start:\n${backendLog}`);
          await sleep(100);
        }
      }
      const p = set.track(nsSpawn(dcNs(dc), process.execPath, [MAIN, 'proxy', proxyConf, '--upstream-port', String(BACKEND_PORT), '--datacenter', `datacenter-${dc}`, '--listen', `0.0.0.0:${PROXY_PORT}`, '--report-to', `http://${SERVE}:${SIGNALS_PORT}`, '--token', TOKEN(dc), '--report-client-rtt', '--geoip-db', GEO, '--log-level', 'warn']));
      p.stdout!.on('data', (d: Buffer) => (proxyLogs[dc - 1] += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (proxyLogs[dc - 1] += d.toString()));
      await waitLog(`anypick proxy datacenter-${dc}`, () => proxyLogs[dc - 1]!, /listening on/, p);
    }
  });

  after(() => {
    set.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('before any measurement each network gets its geographically nearest datacenter', () => {
    for (const c of CLIENTS) expect(answer(c.net).dc, `${c.net}.0/24\n${serveLog.slice(-2000)}`).to.equal(c.nearest);
  });

  it('after clients connect through every datacenter, each network gets the one it reaches fastest, with ECS scope /24', async () => {
    for (const c of CLIENTS) browse(c.name, 4);
    for (const c of CLIENTS) {
      const a = await answerUntil(c.net, c.fastest, 15_000);
      expect(a.dc, `${c.net}.0/24 (delays ${c.delayMs.join('/')} ms)\n${a.raw}\n${serveLog.slice(-3000)}\n${proxyLogs.join('\n')}`).to.equal(c.fastest);
      expect(a.scope).to.equal(24);
    }
    // What the DNS tier learned: each datacenter measured for both networks, within the report
    // histogram's bucket around the delay (the median is interpolated inside its bucket; the
    // round trip is the delay plus a few ms of forwarding and scheduling at most).
    for (const c of CLIENTS) {
      const got = learned(c.net).estimates;
      expect(got.map((e) => e.datacenter).sort(), JSON.stringify(got)).to.deep.equal(['datacenter-1', 'datacenter-2', 'datacenter-3']);
      for (const e of got) {
        const delay = c.delayMs[Number(e.datacenter.slice(-1)) - 1]!;
        const lo = Math.max(0, ...RTT_BOUNDS_MS.filter((b) => b <= delay));
        const hi = Math.min(...RTT_BOUNDS_MS.filter((b) => b > delay + 5));
        expect(e.rttMs, `${c.net}.0/24 → ${e.datacenter} (delay ${delay} ms): ${JSON.stringify(got)}`).to.be.within(lo, hi);
        expect(e.samples).to.be.at.least(4);
      }
      // explain --live shows the same: measured latency decided, with each datacenter's estimate.
      const ex = nsExec(hub, process.execPath, [MAIN, 'explain', 'my-service', '--client', `${c.net}.0/24`, conf, '--geoip-db', GEO, '--live', '--http', `${SERVE}:${HTTP_PORT}`]);
      expect(ex, ex).to.match(new RegExp(`latency: ${c.net.replace(/\./g, '\\.')}\\.0/24: measured latency decided`));
      expect(ex).to.match(/measured: datacenter-\d [\d.]+ ms \(\d+ samples/);
      expect(/^answer:\s+(\S+)/m.exec(ex)?.[1]).to.equal('example.com');
      expect(ex.split('\n').filter((l) => /^datacenter-\d\s.*\*$/.test(l)).map((l) => l.split(/\s+/)[0]), ex).to.deep.equal([c.fastest]);
      if (c === CLIENTS[1]) {
        // docs/datacenter-pick.md "Seeing it" shows this output (the ages aside).
        const doc = readFileSync(join(REPO_ROOT, 'docs', 'datacenter-pick.md'), 'utf8');
        const block = /\*\*Seeing it\.\*\*[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)?.[1];
        const ages = (t: string): string => t.replace(/\d+ s ago/g, 'N s ago');
        for (const line of (block ?? '').trim().split('\n')) expect(ages(ex), `doc line not in the output:\n${line}\n${ex}`).to.include(ages(line));
        expect(block).to.be.a('string');
      }
      console.log(`      ${c.net}.0/24 (delays ${c.delayMs.join('/')} ms): ${got.sort((x, y) => x.datacenter.localeCompare(y.datacenter)).map((e) => `${e.datacenter} ${e.rttMs} ms`).join(', ')}`);
    }
  });

  it('/latency.json refuses a network that is not an address with 400 and the reason', () => {
    const out = nsExec(hub, 'curl', ['-s', '-w', '\n%{http_code}', `http://${SERVE}:${HTTP_PORT}/latency.json?network=nope`]);
    const code = out.slice(out.lastIndexOf('\n') + 1);
    expect(code, out).to.equal('400');
    expect(JSON.parse(out.slice(0, out.lastIndexOf('\n'))).error).to.match(/^network=nope: /);
  });

  it('removing the delay to the nearest datacenter moves the answer back once new samples arrive', async () => {
    const c = CLIENTS[1]!;
    delayLine.stdin!.write(`${rule(c.net, 2, 0)}\n`);
    // The estimate is an EWMA weighted by connections (1 − 0.9^n): 25 fresh connections of under
    // 1 ms take datacenter-2's estimate from 87.5 ms (the 75–100 ms bucket's middle) to under
    // 8 ms, more than the 5 ms tolerance below datacenter-3's 40 ms.
    browse(c.name, 25, [2]);
    const a = await answerUntil(c.net, c.nearest, 15_000);
    expect(a.dc, `${a.raw}\n${JSON.stringify(learned(c.net))}\n${serveLog.slice(-3000)}`).to.equal(c.nearest);
    // The other network is unaffected.
    expect(answer(CLIENTS[0]!.net).dc).to.equal(CLIENTS[0]!.fastest);
  });
});
