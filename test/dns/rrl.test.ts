import { expect } from 'chai';
import { RESPONSE_CLASS, RRL, ResponseRateLimiter, RrlOptionError, tokenOf } from '../../src/dns/rrl';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { decode, query, silentLogger, testZones } from './helpers';

const ANSWER = tokenOf(RESPONSE_CLASS.ANSWER, 'www.example.com', 1);

/** Verdicts of `n` replies at time `t`. */
function run(l: ResponseRateLimiter, address: string, n: number, t: number, token = ANSWER): number[] {
  return Array.from({ length: n }, () => l.check(address, token, t));
}
const count = (v: number[], what: number): number => v.filter((x) => x === what).length;

describe('response rate limiting (rrl.ts)', () => {
  it('sends a bucket of N replies per second, then refills at N per second', () => {
    const l = new ResponseRateLimiter({ ratePerSecond: 10, slip: 0 });
    expect(count(run(l, '198.51.100.7', 25, 0), RRL.SEND)).to.equal(10);
    expect(count(run(l, '198.51.100.7', 25, 500), RRL.SEND)).to.equal(5);
    expect(count(run(l, '198.51.100.7', 25, 10_000), RRL.SEND)).to.equal(10); // never more than one bucket
  });

  it('slips every Nth limited reply: 0 drops all, 1 slips all, 2 every other', () => {
    for (const [slip, slipped] of [[0, 0], [1, 20], [2, 10], [3, 6]]) {
      const l = new ResponseRateLimiter({ ratePerSecond: 5, slip });
      const v = run(l, '198.51.100.7', 25, 0);
      expect(count(v, RRL.SEND), `slip ${slip}`).to.equal(5);
      expect(count(v, RRL.SLIP), `slip ${slip}`).to.equal(slipped);
      expect(count(v, RRL.DROP), `slip ${slip}`).to.equal(20 - slipped);
    }
  });

  it('shares a bucket within a client prefix (/24, /56 by default) and not across prefixes', () => {
    const l = new ResponseRateLimiter({ ratePerSecond: 4, slip: 0 });
    expect(count([...run(l, '198.51.100.1', 3, 0), ...run(l, '198.51.100.200', 3, 0)], RRL.SEND)).to.equal(4);
    expect(count(run(l, '198.51.101.1', 4, 0), RRL.SEND)).to.equal(4);
    expect(count([...run(l, '2001:db8:0:100::1', 3, 0), ...run(l, '2001:db8:0:1ff::2', 3, 0)], RRL.SEND)).to.equal(4);
    expect(count(run(l, '2001:db8:0:200::1', 4, 0), RRL.SEND)).to.equal(4);
    // A dual-stack socket's IPv4-mapped address is the IPv4 client.
    expect(count(run(l, '::ffff:198.51.100.9', 1, 0), RRL.SEND)).to.equal(0);
    expect(l.prefixText('198.51.100.77')).to.equal('198.51.100.0/24');
  });

  it('keeps a bucket per response class: answers per name and type, NXDOMAIN per zone, errors', () => {
    const l = new ResponseRateLimiter({ ratePerSecond: 2, slip: 0 });
    const tokens = [ANSWER, tokenOf(RESPONSE_CLASS.ANSWER, 'www.example.com', 28), tokenOf(RESPONSE_CLASS.NXDOMAIN, 'example.com'), tokenOf(RESPONSE_CLASS.ERROR, '')];
    for (const t of tokens) expect(count(run(l, '203.0.113.5', 3, 0, t), RRL.SEND)).to.equal(2);
  });

  it('stays within its table: a flood of new prefixes reuses the slots touched longest ago', () => {
    const l = new ResponseRateLimiter({ ratePerSecond: 1, slip: 0, tableSize: 64 });
    for (let i = 0; i < 5000; i++) l.check(`10.${(i >> 8) & 255}.${i & 255}.1`, ANSWER, i);
    // A client seen long ago starts with a full bucket again: its slot was reused.
    expect(l.check('10.0.0.1', ANSWER, 5000)).to.equal(RRL.SEND);
  });

  it('rejects options that cannot work', () => {
    expect(() => new ResponseRateLimiter({ ratePerSecond: 0 })).to.throw(RrlOptionError);
    expect(() => new ResponseRateLimiter({ ratePerSecond: 5, slip: -1 })).to.throw(RrlOptionError);
    expect(() => new ResponseRateLimiter({ ratePerSecond: 5, ipv4Prefix: 33 })).to.throw(RrlOptionError);
    expect(() => new ResponseRateLimiter({ ratePerSecond: 5, tableSize: 1000 })).to.throw(RrlOptionError);
  });
});

describe('rate limiting in the engine', () => {
  const ctx = (address: string, tcp = false) => ({ tcp, address, family: 4 as const });
  const engine = (slip = 2): DnsEngine => new DnsEngine(new DataSet(testZones()), { logger: silentLogger, guard: { rrl: new ResponseRateLimiter({ ratePerSecond: 3, slip }), now: () => 1000 } });

  it('limits reply-cache hits like any other reply, and slips TC=1 with the question and OPT', () => {
    const e = engine(1);
    const q = query('www.example.com', 'A', { udp: 1232 });
    const replies = Array.from({ length: 10 }, () => e.handle(q, ctx('192.0.2.10'))!);
    expect(e.counters.replyCacheHits, 'answered from the reply cache').to.be.greaterThan(0);
    expect(replies.filter((r) => (r[2] & 0x02) === 0)).to.have.length(3);
    const slip = decode(replies[9]);
    expect(slip.flag_tc).to.equal(true);
    expect(slip.answers).to.have.length(0);
    expect(slip.questions?.[0].name).to.equal('www.example.com');
    expect(slip.additionals?.[0].type).to.equal('OPT');
    expect(e.counters.rrlSlipped).to.equal(7);
  });

  it('never limits TCP', () => {
    const e = engine(0);
    const q = query('www.example.com', 'A');
    expect(Array.from({ length: 20 }, () => e.handle(q, ctx('192.0.2.10', true))).every((r) => r && (r[2] & 0x02) === 0)).to.equal(true);
    expect(e.counters.rrlDropped).to.equal(0);
  });

  it('limits NXDOMAIN per zone whatever the name (random subdomains), and errors', () => {
    const e = engine(0);
    const nx = Array.from({ length: 10 }, (_, i) => e.handle(query(`nope-${i}.example.com`, 'A'), ctx('192.0.2.10')));
    expect(nx.filter(Boolean)).to.have.length(3);
    const refused = Array.from({ length: 10 }, (_, i) => e.handle(query(`x${i}.not-served.test`, 'A'), ctx('192.0.2.10')));
    expect(refused.filter(Boolean)).to.have.length(3);
  });
});
