/**
 * Differential test against Knot DNS 3.x: the zones in test/interop/zones are served by
 * `anypick serve` and by `knotd`, every query of a generated set (names × types × EDNS
 * variants × UDP/TCP, some in 0x20 mixed case) goes to both, and the replies are compared
 * section by section (support/compare.ts). A difference fails the test unless JUDGED below
 * lists it with the RFC reason anypick's answer is also correct.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { loadZoneFile } from '../../src/zone';
import { rrTypeCode } from '../../src/rrtype/registry';
import { requireTools } from '../support/tools';
import { startServe } from '../dns/serve-process';
import type { ServeProcess } from '../dns/serve-process';
import { exchangeTcp, exchangeUdp } from './support/client';
import { compareReplies } from './support/compare';
import type { Difference } from './support/compare';
import { startKnot } from './support/knot';
import type { KnotServer } from './support/knot';

export const ZONES = join(__dirname, '..', '..', '..', 'test', 'interop', 'zones');

const TYPES = ['A', 'AAAA', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'SRV', 'DNAME', 'HTTPS', 'SVCB', 'LOC', 'DNSKEY', 'URI', 'TLSA', 'DS', 'TYPE65280', 'ANY'];

/** How a query is sent. */
interface Variant {
  name: string;
  tcp: boolean;
  edns?: { udp: number; do: boolean };
}
const VARIANTS: Variant[] = [
  { name: 'udp', tcp: false },
  { name: 'udp+edns', tcp: false, edns: { udp: 1232, do: false } },
  { name: 'udp+edns512+do', tcp: false, edns: { udp: 512, do: true } },
  { name: 'tcp+edns', tcp: true, edns: { udp: 1232, do: false } },
];

/** One query of the set. */
export interface Case {
  qname: string;
  qtype: string;
  variant: Variant;
}

/** A known difference, judged acceptable, with its reason. */
interface Judged {
  why: string;
  applies(c: Case, d: Difference): boolean;
}

/** True when a compared section holds records of one owner and type only (one RRset). */
const oneRrset = (section: string): boolean => section !== '' && new Set(section.split(' | ').map((r) => r.split(' ').slice(0, 3).filter((_, i) => i !== 1).join(' '))).size === 1;

const JUDGED: Judged[] = [
  {
    why: 'ANY: a different single RRset (RFC 8482 §4.2 lets the server pick any one RRset; anypick takes the first in zone-file order)',
    applies: (c, d) => c.qtype === 'ANY' && ((d.part === 'answer' && oneRrset(d.ours) && oneRrset(d.theirs)) || d.part === 'additional'),
  },
];

/** Upper-cases every other letter (0x20 bits, as resolvers do). */
const mixCase = (n: string): string => [...n].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join('');

/** Owners of the zones plus names around them: below each owner, wildcard matches, names below DNAMEs and cuts, out of zone. */
export function queryNames(): string[] {
  const names = new Set<string>();
  for (const f of readdirSync(ZONES).filter((x) => x.endsWith('.zone'))) {
    const z = loadZoneFile(join(ZONES, f));
    for (const r of z.records) {
      names.add(r.name);
      names.add(`nx.${r.name}`);
      if (r.name.startsWith('*.')) names.add(`a.${r.name.slice(2)}`).add(`x.y.${r.name.slice(2)}`);
      if (r.type === 'DNAME') names.add(`host.${r.name}`).add(`a.host.${r.name}`);
      if (r.type === 'NS' && r.name !== z.origin) names.add(`host.${r.name}`);
    }
    names.add(`deep.nx.${z.origin}`);
  }
  names.add('example.org').add('test');
  return [...names].sort();
}

function encode(c: Case, id: number): Buffer {
  const q = dnsPacket.encode({
    type: 'query',
    id,
    flags: 0,
    questions: [{ name: c.qname, type: 'A', class: 'IN' }],
    additionals: c.variant.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: c.variant.edns.udp, flags: c.variant.edns.do ? dnsPacket.DNSSEC_OK : 0, options: [] } as unknown as dnsPacket.Answer] : [],
  });
  // The QTYPE by number from the registry (dns-packet has no name for HTTPS, SVCB, URI, …).
  let i = 12;
  while (q[i] !== 0) i += (q[i] as number) + 1;
  q.writeUInt16BE(rrTypeCode(c.qtype), i + 1);
  return q;
}

async function ask(port: number, c: Case, id: number): Promise<Buffer | undefined> {
  const msg = encode(c, id);
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = c.variant.tcp ? await exchangeTcp(port, msg) : await exchangeUdp(port, msg);
    if (r) return r;
  }
  return undefined;
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  }));
}

describe('differential test against Knot DNS (same zones, same queries)', function () {
  this.timeout(600000);
  let knot: KnotServer | undefined;
  let anypick: ServeProcess | undefined;

  before(async function () {
    requireTools(this, 'knotd');
    const zones = readdirSync(ZONES).filter((x) => x.endsWith('.zone')).map((f) => ({ origin: f.slice(0, -'.zone'.length), file: join(ZONES, f) }));
    knot = await startKnot(zones);
    anypick = await startServe([ZONES]);
  });
  after(async () => {
    await anypick?.stop();
    await knot?.stop();
  });

  it('answers every generated query as Knot does, or as a judged difference says', async () => {
    const names = queryNames();
    expect(names.length, 'names found in the zones').to.be.greaterThan(60);
    const cases: Case[] = [];
    names.forEach((n, i) => {
      for (const qtype of TYPES) for (const variant of VARIANTS) cases.push({ qname: i % 3 === 0 ? mixCase(n) : n, qtype, variant });
    });
    const unexplained: string[] = [];
    const judgedCount = new Map<string, number>();
    let compared = 0;
    await pool(cases, 32, async (c, i) => {
      const id = i & 0xffff;
      const [ours, theirs] = await Promise.all([ask(anypick!.port, c, id), ask(knot!.port, c, id)]);
      const label = `${c.qname} ${c.qtype} ${c.variant.name}`;
      if (!ours || !theirs) {
        unexplained.push(`${label}: no reply from ${!ours ? 'anypick' : 'knot'}`);
        return;
      }
      compared++;
      for (const d of compareReplies(ours, theirs)) {
        const j = JUDGED.find((x) => x.applies(c, d));
        if (j) judgedCount.set(j.why, (judgedCount.get(j.why) ?? 0) + 1);
        else unexplained.push(`${label}: ${d.part}: anypick ${d.ours} / knot ${d.theirs}`);
      }
    });
    if (process.env.DIFF_OUT) require('node:fs').writeFileSync(process.env.DIFF_OUT, unexplained.join('\n'));
    console.log(`      ${compared} queries compared; judged differences: ${[...judgedCount].map(([w, n]) => `${n} × ${w}`).join('; ') || 'none'}`);
    expect(compared, 'queries compared').to.be.greaterThan(5000);
    expect(unexplained, unexplained.slice(0, 50).join('\n')).to.deep.equal([]);
  });

  it('answers malformed and unusual messages as Knot does (RCODE, question, OPT, EDE)', async () => {
    const base = (o: { qname?: string; qtype?: number; qclass?: number; opt?: Buffer | null }): Buffer => {
      const q = encode({ qname: o.qname ?? 'www.diff.test', qtype: 'A', variant: VARIANTS[1] as Variant }, 0x4242);
      const qEnd = q.length - 11;
      const head = Buffer.from(q.subarray(0, qEnd));
      if (o.qtype !== undefined) head.writeUInt16BE(o.qtype, qEnd - 4);
      if (o.qclass !== undefined) head.writeUInt16BE(o.qclass, qEnd - 2);
      if (o.opt === null) {
        head.writeUInt16BE(0, 10);
        return head;
      }
      return Buffer.concat([head, o.opt ?? q.subarray(qEnd)]);
    };
    const opt = (version: number, options: Buffer = Buffer.alloc(0)): Buffer => {
      const b = Buffer.alloc(11);
      b.writeUInt16BE(41, 1);
      b.writeUInt16BE(1232, 3);
      b[6] = version;
      b.writeUInt16BE(options.length, 9);
      return Buffer.concat([b, options]);
    };
    const set = (b: Buffer, f: (c: Buffer) => void): Buffer => {
      const c = Buffer.from(b);
      f(c);
      return c;
    };
    /** `judged`: the parts that differ from Knot and why anypick's reply is also correct. */
    const cases: { what: string; msg: Buffer; tcp?: boolean; judged?: { parts: string[]; why: string } }[] = [
      { what: 'EDNS version 1 (BADVERS)', msg: base({ opt: opt(1) }) },
      { what: 'opcode STATUS (NOTIMP) with OPT', msg: set(base({}), (c) => (c[2] = 2 << 3)) },
      { what: 'opcode STATUS (NOTIMP) without OPT', msg: set(base({ opt: null }), (c) => (c[2] = 2 << 3)) },
      // RFC 7871 §7.1.1: family 3 is not an address family: FORMERR, and the OPT comes back.
      {
        what: 'malformed ECS option',
        msg: base({ opt: opt(0, Buffer.from([0, 8, 0, 5, 0, 3, 24, 0, 192])) }),
        judged: { parts: ['rcode', 'aa', 'answer'], why: 'Knot without its ECS module ignores the option (RFC 6891 §6.1.2); anypick implements ECS and must answer FORMERR (RFC 7871 §7.1.1), with the OPT (RFC 6891 §7)' },
      },
      {
        what: 'garbage after the OPT',
        msg: Buffer.concat([base({}), Buffer.from('junk')]),
        judged: { parts: ['opt'], why: 'the OPT itself was well formed; RFC 6891 §7 wants it echoed so the client does not conclude EDNS is unsupported (Knot drops it on any parse error)' },
      },
      {
        what: 'QDCOUNT 2',
        msg: set(base({}), (c) => c.writeUInt16BE(2, 4)),
        judged: { parts: ['no reply'], why: 'Knot drops it; RFC 9619 §2 (QDCOUNT is 1) leaves FORMERR as the answer, which tells the client what is wrong' },
      },
      { what: 'out of zone with OPT (REFUSED, EDE 20)', msg: base({ qname: 'www.example.org' }) },
      { what: 'out of zone without OPT', msg: base({ qname: 'www.example.org', opt: null }) },
      { what: 'out of zone over TCP', msg: base({ qname: 'example.org' }), tcp: true },
    ];
    const unexplained: string[] = [];
    for (const c of cases) {
      const [ours, theirs] = c.tcp
        ? await Promise.all([exchangeTcp(anypick!.port, c.msg), exchangeTcp(knot!.port, c.msg)])
        : await Promise.all([exchangeUdp(anypick!.port, c.msg), exchangeUdp(knot!.port, c.msg)]);
      if (!ours || !theirs) {
        if (!(ours && c.judged?.parts.includes('no reply'))) unexplained.push(`${c.what}: no reply from ${!ours ? 'anypick' : 'knot'}`);
        continue;
      }
      for (const d of compareReplies(ours, theirs)) {
        if (!c.judged?.parts.includes(d.part)) unexplained.push(`${c.what}: ${d.part}: anypick ${d.ours} / knot ${d.theirs}`);
      }
    }
    expect(unexplained, unexplained.join('\n')).to.deep.equal([]);
  });
});
