import { expect } from 'chai';
import { siphash24 } from '../../src/util/siphash';
import { COOKIE_LIFETIME_S, CookieSecretError, ServerCookies, parseCookieSecret } from '../../src/dns/cookies';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { ResponseRateLimiter } from '../../src/dns/rrl';
import { decode, query, silentLogger, testZones } from './helpers';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('SipHash-2-4', () => {
  it('matches the reference vectors (key 00..0f)', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    // The empty message and 00..0e (15 bytes); outputs as little-endian bytes.
    for (const [msg, want] of [['', '310e0edd47db6f72'], ['000102030405060708090a0b0c0d0e', 'e545be4961ca29a1']]) {
      const out = Buffer.alloc(8);
      siphash24(key, hex(msg), out);
      expect(out.toString('hex'), `message ${msg || '(empty)'}`).to.equal(want);
    }
  });
});

describe('DNS server cookies (RFC 7873, RFC 9018)', () => {
  it('hashes the input of RFC 9018 Appendix A.1 to its server cookie; a cookie starts with version 1 and the timestamp', () => {
    const c = new ServerCookies(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'));
    // The appendix signs with the secret itself; ours derives one per period, so the hash input is checked directly.
    const out = Buffer.alloc(8);
    siphash24(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'), Buffer.concat([hex('2464c4abcf10c957'), hex('010000005cf79f11'), Buffer.from([198, 51, 100, 100])]), out);
    expect(out.toString('hex')).to.equal('1f8130c3eee29480');
    const made = c.make(hex('2464c4abcf10c957'), Buffer.from([198, 51, 100, 100]), 1559731985);
    expect(made.subarray(0, 8).toString('hex')).to.equal('010000005cf79f11');
  });

  it('accepts its own cookie for an hour, for that client cookie and address only', () => {
    const c = new ServerCookies(hex('00112233445566778899aabbccddeeff'));
    const client = hex('0102030405060708');
    const ip = Buffer.from([192, 0, 2, 1]);
    const t = 1_800_000_000;
    const s = c.make(client, ip, t);
    expect(c.check(client, s, ip, t + 10)).to.equal('good');
    expect(c.check(client, s, ip, t + COOKIE_LIFETIME_S + 1)).to.equal('bad');
    expect(c.check(client, s, Buffer.from([192, 0, 2, 2]), t)).to.equal('bad');
    expect(c.check(hex('0102030405060709'), s, ip, t)).to.equal('bad');
    const forged = Buffer.from(s);
    forged[15] ^= 1;
    expect(c.check(client, forged, ip, t)).to.equal('bad');
    expect(c.check(client, s.subarray(0, 8), ip, t)).to.equal('bad');
  });

  it('nodes sharing a base secret accept each other across a rotation; others do not', () => {
    const base = hex('00112233445566778899aabbccddeeff');
    const a = new ServerCookies(base, 7200);
    const b = new ServerCookies(Buffer.from(base), 7200);
    const stranger = new ServerCookies(hex('ffeeddccbbaa99887766554433221100'), 7200);
    const client = hex('0102030405060708');
    const ip = Buffer.from([192, 0, 2, 1]);
    const t = 7200 * 250_000 - 60; // a minute before a rotation
    const s = a.make(client, ip, t);
    expect(b.check(client, s, ip, t + 120), 'next period on the other node').to.equal('good');
    expect(stranger.check(client, s, ip, t)).to.equal('bad');
  });

  it('rekey: a new base secret takes effect at once (same period); the same secret is no change', () => {
    const c = new ServerCookies(hex('00112233445566778899aabbccddeeff'));
    const client = hex('0102030405060708');
    const ip = Buffer.from([192, 0, 2, 1]);
    const t = 1_800_000_000;
    const old = c.make(client, ip, t);
    expect(c.rekey(hex('00112233445566778899aabbccddeeff')), 'same secret').to.equal(false);
    expect(c.check(client, old, ip, t + 1)).to.equal('good');
    expect(c.rekey(hex('ffeeddccbbaa99887766554433221100'))).to.equal(true);
    expect(c.check(client, old, ip, t + 1), 'made under the old secret').to.equal('bad');
    const fresh = c.make(client, ip, t + 1);
    expect(c.check(client, fresh, ip, t + 2)).to.equal('good');
    expect(new ServerCookies(hex('ffeeddccbbaa99887766554433221100')).check(client, fresh, ip, t + 2), 'a node with the new secret').to.equal('good');
  });

  it('reads secrets as hex of 16 bytes or more', () => {
    expect(parseCookieSecret('00112233445566778899aabbccddeeff\n', 'f').length).to.equal(16);
    expect(() => parseCookieSecret('0011', 'f')).to.throw(CookieSecretError, /f: expected/);
    expect(() => parseCookieSecret('zz112233445566778899aabbccddeeff', 'f')).to.throw(CookieSecretError);
  });
});

describe('cookies in the engine', () => {
  const opt = (o: { options?: Array<{ code: number; data: Buffer }> } | undefined, code: number): Buffer | undefined => o?.options?.find((x) => x.code === code)?.data;
  const cookieOf = (r: Buffer): Buffer | undefined => opt(decode(r).additionals?.find((a) => a.type === 'OPT') as never, 10);
  let now = 1_800_000_000_000;
  const engine = (): DnsEngine => new DnsEngine(new DataSet(testZones()), { logger: silentLogger, guard: { cookies: new ServerCookies(hex('00112233445566778899aabbccddeeff')), rrl: new ResponseRateLimiter({ ratePerSecond: 1, slip: 1 }), now: () => now } });
  const ctx = (address: string) => ({ tcp: false, address, family: 4 as const });

  it('answers a client cookie with a server cookie made for that client address, even for the same query bytes', () => {
    const e = engine();
    const q = query('www.example.com', 'A', { options: [{ code: 10, data: hex('0102030405060708') }] });
    const c1 = [1, 2, 3].map(() => cookieOf(e.handle(q, ctx('192.0.2.1'))!)!);
    const c2 = cookieOf(e.handle(q, ctx('192.0.2.2'))!)!;
    expect(c1[0].subarray(0, 8).toString('hex')).to.equal('0102030405060708');
    expect(c2.subarray(8).equals(c1[0].subarray(8)), 'another address, another server cookie').to.equal(false);
    expect(e.counters.replyCacheHits, 'replies with cookies are not kept').to.equal(0);
  });

  it('a valid cookie is never rate limited; a client-only one slips BADCOOKIE', () => {
    const e = engine();
    const first = e.handle(query('www.example.com', 'A', { options: [{ code: 10, data: hex('0102030405060708') }] }), ctx('192.0.2.1'))!;
    const full = cookieOf(first)!;
    const good = query('www.example.com', 'A', { options: [{ code: 10, data: full }] });
    for (let i = 0; i < 10; i++) expect(decode(e.handle(good, ctx('192.0.2.1'))!).answers).to.have.length(1);
    expect(e.counters.rrlExempt).to.equal(10);
    const clientOnly = query('www.example.com', 'A', { options: [{ code: 10, data: hex('0102030405060708') }] });
    const r = e.handle(clientOnly, ctx('192.0.2.1'))!;
    expect(r[3] & 0xf).to.equal(23 & 0xf); // BADCOOKIE, upper bits in the OPT
    expect(cookieOf(r)!.length).to.equal(24);
    expect(e.counters.badcookieSent).to.equal(1);
    now += 3600_000 * 2; // two hours later the cookie has expired: no longer exempt
    e.handle(good, ctx('192.0.2.1'));
    expect(e.counters.cookieBad).to.equal(1);
  });

  it('answers a malformed COOKIE option with FORMERR (RFC 7873 §5.2.2)', () => {
    const e = engine();
    for (const len of [7, 9, 15, 41]) {
      const r = e.handle(query('www.example.com', 'A', { options: [{ code: 10, data: Buffer.alloc(len, 1) }] }), ctx('192.0.2.50'));
      expect(r && r[3] & 0xf, `length ${len}`).to.equal(1);
    }
    expect(e.counters.cookieMalformed).to.equal(4);
  });

  it('ignores edns-tcp-keepalive over UDP (RFC 7828 §3.2.1)', () => {
    const e = new DnsEngine(new DataSet(testZones()), { logger: silentLogger });
    const r = e.handle(query('www.example.com', 'A', { options: [{ code: 11, data: Buffer.alloc(0) }] }), { ...ctx('192.0.2.1'), keepaliveMs: 5000 })!;
    expect(opt(decode(r).additionals?.find((a) => a.type === 'OPT') as never, 11)).to.equal(undefined);
  });
});
