import { expect } from 'chai';
import { decodeMessage, encodeMessage, MessageReader, frame } from '../../src/bgp/wire/message';
import type { Message } from '../../src/bgp/wire/message';
import { Open, standardCapabilities } from '../../src/bgp/wire/open';
import { Update } from '../../src/bgp/wire/update';
import { Notification, describeError } from '../../src/bgp/wire/notification';
import { RouteRefresh } from '../../src/bgp/wire/route-refresh';
import { Prefix } from '../../src/bgp/wire/prefix';
import { MessageError, CodecInputError } from '../../src/bgp/wire/errors';
import { formatIp, parseIp } from '../../src/bgp/wire/address';
import { AFI, SAFI, MSG, COMMUNITY } from '../../src/bgp/wire/constants';
import type { CodecContext } from '../../src/bgp/wire/attributes';
import { announceUpdate, withdrawUpdate } from '../../src/bgp/advert';

/** Encode, decode, compare the re-encoding byte for byte. */
function roundTrip(m: Message, ctx: CodecContext = { as4: true }): Buffer {
  const bytes = encodeMessage(m, ctx);
  const again = encodeMessage(decodeMessage(bytes, ctx), ctx);
  expect(again.toString('hex')).to.equal(bytes.toString('hex'));
  return bytes;
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MARKER = 'ffffffffffffffffffffffffffffffff';

describe('bgp wire: addresses and prefixes', () => {
  const cases: [string, string][] = [
    ['2001:db8::53', '2001:db8::53'], ['2001:0db8:0478:2853::5353', '2001:db8:478:2853::5353'], ['::', '::'],
    ['::1', '::1'], ['fe80::1:0:0:1', 'fe80::1:0:0:1'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['192.0.2.53', '192.0.2.53'],
  ];
  for (const [input, want] of cases) {
    it(`parses and formats ${input}`, () => expect(formatIp(parseIp(input))).to.equal(want));
  }
  it('rejects junk addresses', () => expect(() => parseIp('2001:db8::zz')).to.throw(CodecInputError));
  it('rejects prefixes with host bits and bad lengths', () => {
    expect(() => Prefix.parse('2001:db8::1/64')).to.throw(/host bits/);
    expect(() => Prefix.parse('10.0.0.0/33')).to.throw(CodecInputError);
    expect(() => Prefix.parse('10.0.0.0/x')).to.throw(CodecInputError);
  });
  it('encodes NLRI with the minimum octets', () => {
    expect(Prefix.parse('2001:db8::/32').encode().toString('hex')).to.equal('2020010db8');
    expect(Prefix.parse('192.0.2.53/32').encode().toString('hex')).to.equal('20c0000235');
    expect(Prefix.parse('0.0.0.0/0').encode().toString('hex')).to.equal('00');
  });
});

describe('bgp wire: round trips of every message', () => {
  const open = new Open({ asn: 64511, holdTime: 90, routerId: '198.51.100.1', capabilities: standardCapabilities(64511, [{ afi: AFI.IPV6, safi: SAFI.UNICAST }, { afi: AFI.IPV4, safi: SAFI.UNICAST }]) });
  it('OPEN (2-octet ASN)', () => {
    const b = roundTrip({ type: 'open', open });
    // version 4, My AS 64511, hold 90, identifier 198.51.100.1
    expect(b.subarray(19, 28).toString('hex')).to.equal('04fbff005ac6336401');
    const d = decodeMessage(b);
    if (d.type !== 'open') throw new Error('not open');
    expect(d.open.asn).to.equal(64511);
    expect(d.open.families()).to.deep.equal([{ afi: 2, safi: 1 }, { afi: 1, safi: 1 }]);
    expect(d.open.supportsAs4()).to.equal(true);
    expect(d.open.supportsRouteRefresh()).to.equal(true);
  });
  it('OPEN with a 4-octet ASN puts AS_TRANS in My AS (RFC 6793)', () => {
    const o = new Open({ asn: 65536, holdTime: 3, routerId: '10.0.0.1', capabilities: standardCapabilities(65536, []) });
    const b = roundTrip({ type: 'open', open: o });
    expect(b.readUInt16BE(20)).to.equal(23456);
    const d = decodeMessage(b);
    expect(d.type === 'open' && d.open.asn).to.equal(65536);
  });
  it('KEEPALIVE', () => expect(roundTrip({ type: 'keepalive' }).toString('hex')).to.equal(MARKER + '001304'));
  it('NOTIFICATION with RFC 9003 shutdown communication', () => {
    const b = roundTrip({ type: 'notification', notification: Notification.adminShutdown('bye') });
    expect(b.toString('hex')).to.equal(MARKER + '0019' + '03' + '0602' + '03' + Buffer.from('bye').toString('hex'));
    const d = decodeMessage(b);
    expect(d.type === 'notification' && d.notification.shutdownMessage()).to.equal('bye');
  });
  it('ROUTE-REFRESH', () => expect(roundTrip({ type: 'route-refresh', refresh: new RouteRefresh(2, 1) }).toString('hex')).to.equal(MARKER + '0017' + '05' + '00020001'));

  const actx = { localAsn: 64511, peerAsn: 65536, as4: true, nextHops: { ipv4: '198.51.100.1', ipv6: '2001:db8:c001:e453::5353', linkLocal: 'fe80::1' } };
  it('UPDATE announcing IPv6 with a 32-byte next hop, MED and communities', () => {
    const u = announceUpdate({ prefix: '2001:db8::53/128', med: 10, communities: [COMMUNITY.GRACEFUL_SHUTDOWN, 0xfbff0001] }, actx)!;
    const b = roundTrip({ type: 'update', update: u });
    const d = decodeMessage(b);
    if (d.type !== 'update') throw new Error('not update');
    const mp = d.update.attributes.find((a) => a.type === 'mp-reach');
    expect(mp && mp.type === 'mp-reach' && mp.nextHops).to.deep.equal(['2001:db8:c001:e453::5353', 'fe80::1']);
    expect(d.update.announced().map(String)).to.deep.equal(['2001:db8::53/128']);
    const c = d.update.attributes.find((a) => a.type === 'communities');
    expect(c && c.type === 'communities' && c.values).to.deep.equal([0xffff0000, 0xfbff0001]);
  });
  it('UPDATE announcing IPv4 with NEXT_HOP and a 4-octet AS_PATH with prepends', () => {
    const u = announceUpdate({ prefix: '192.0.2.53/32', prepend: 2 }, actx)!;
    const b = roundTrip({ type: 'update', update: u });
    // ORIGIN IGP; AS_PATH one AS_SEQUENCE of 3 × 64511 (4 octets each); NEXT_HOP; NLRI.
    expect(b.subarray(19).toString('hex')).to.equal('0000' + '001c' + '40010100' + '4002' + '0e' + '0203' + '0000fbff'.repeat(3) + '400304c6336401' + '20c0000235');
  });
  it('UPDATE to a 2-octet peer carries AS_TRANS and AS4_PATH (RFC 6793 §4.2.2)', () => {
    const u = announceUpdate({ prefix: '192.0.2.53/32' }, { ...actx, localAsn: 4200000001, as4: false })!;
    const b = roundTrip({ type: 'update', update: u }, { as4: false });
    const d = decodeMessage(b, { as4: false });
    if (d.type !== 'update') throw new Error('not update');
    const p = d.update.attributes.find((a) => a.type === 'as-path');
    const p4 = d.update.attributes.find((a) => a.type === 'as4-path');
    expect(p && p.type === 'as-path' && p.segments[0]!.asns).to.deep.equal([23456]);
    expect(p4 && p4.type === 'as4-path' && p4.segments[0]!.asns).to.deep.equal([4200000001]);
  });
  it('UPDATE withdrawing IPv6 (MP_UNREACH_NLRI) and IPv4 (withdrawn routes)', () => {
    expect(roundTrip({ type: 'update', update: withdrawUpdate('2001:db8::53/128') }).subarray(19).toString('hex'))
      .to.equal('0000' + '0017' + '800f' + '14' + '000201' + '80' + '20010db8000000000000000000000053');
    expect(roundTrip({ type: 'update', update: withdrawUpdate('192.0.2.53/32') }).subarray(19).toString('hex')).to.equal('0005' + '20c0000235' + '0000');
  });
  it('extended-length attributes are used above 255 octets and decoded', () => {
    const values = Array.from({ length: 70 }, (_, i) => 0xfbff0000 + i);
    const b = roundTrip({ type: 'update', update: announceUpdate({ prefix: '192.0.2.0/24', communities: values }, actx)! });
    const d = decodeMessage(b);
    const c = d.type === 'update' ? d.update.attributes.find((a) => a.type === 'communities') : undefined;
    expect(c && c.type === 'communities' && c.values.length).to.equal(70);
    expect(b.includes(hex('d0080118'))).to.equal(true); // flags 0xd0 (optional, transitive, extended), type 8, length 280
  });
  it('unknown optional attributes survive a round trip', () => {
    const u = new Update({ attributes: [{ type: 'origin', value: 0 }, { type: 'unknown', code: 99, flags: 0xc0, value: hex('0102') }] });
    roundTrip({ type: 'update', update: u });
  });
  it('constructors reject values that cannot be encoded', () => {
    expect(() => new Open({ asn: 0, holdTime: 90, routerId: '1.1.1.1', capabilities: [] })).to.throw(CodecInputError);
    expect(() => new Open({ asn: 1, holdTime: 2, routerId: '1.1.1.1', capabilities: [] })).to.throw(/hold time/);
    expect(() => new Open({ asn: 1, holdTime: 90, routerId: '::1', capabilities: [] })).to.throw(/router id/);
    expect(() => new Update({ nlri: [Prefix.parse('2001:db8::/32')] })).to.throw(/MP_REACH/);
    expect(() => new Notification(256, 0)).to.throw(CodecInputError);
  });
  it('MessageReader splits a stream at any chunk boundary', () => {
    const stream = Buffer.concat([encodeMessage({ type: 'keepalive' }), encodeMessage({ type: 'open', open }), encodeMessage({ type: 'keepalive' })]);
    for (const size of [1, 7, 19, 64]) {
      const r = new MessageReader();
      const got: number[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...r.push(stream.subarray(i, i + size)).map((m) => m[18]!));
      expect(got).to.deep.equal([MSG.KEEPALIVE, MSG.OPEN, MSG.KEEPALIVE]);
    }
  });
  it('names NOTIFICATION codes', () => {
    expect(describeError(6, 2)).to.equal('Cease/Administrative Shutdown (6/2)');
    expect(describeError(4, 0)).to.equal('Hold Timer Expired (4/0)');
    expect(describeError(42, 1)).to.equal('Unknown error 42/subcode 1 (42/1)');
  });
});

describe('bgp wire: malformed input → NOTIFICATION code/subcode and RFC 7606 action', () => {
  const openBody = (mutate: (b: Buffer) => Buffer) => frame(MSG.OPEN, mutate(new Open({ asn: 65001, holdTime: 90, routerId: '10.0.0.1', capabilities: standardCapabilities(65001, []) }).encode()));
  const attrs = (a: string, nlri = '20c0000235') => {
    const ab = hex(a);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(ab.length);
    return frame(MSG.UPDATE, Buffer.concat([hex('0000'), len, ab, hex(nlri)]));
  };
  const good = '40010100' + '400206020100000001' + '400304c6336401';
  const table: { name: string; bytes: Buffer; code: number; sub: number; action?: string }[] = [
    { name: 'marker not all ones', bytes: hex('00'.repeat(16) + '001304'), code: 1, sub: 1 },
    { name: 'length below 19', bytes: hex(MARKER + '001204'), code: 1, sub: 2 },
    { name: 'length above 4096', bytes: hex(MARKER + '100104'), code: 1, sub: 2 },
    { name: 'KEEPALIVE with a body', bytes: hex(MARKER + '00140400'), code: 1, sub: 2 },
    { name: 'unknown message type', bytes: hex(MARKER + '001309'), code: 1, sub: 3 },
    { name: 'OPEN version 3', bytes: openBody((b) => { b[0] = 3; return b; }), code: 2, sub: 1 },
    { name: 'OPEN hold time 1', bytes: openBody((b) => { b.writeUInt16BE(1, 3); return b; }), code: 2, sub: 6 },
    { name: 'OPEN hold time 2', bytes: openBody((b) => { b.writeUInt16BE(2, 3); return b; }), code: 2, sub: 6 },
    { name: 'OPEN identifier 0.0.0.0', bytes: openBody((b) => { b.writeUInt32BE(0, 5); return b; }), code: 2, sub: 3 },
    { name: 'OPEN unknown optional parameter', bytes: openBody((b) => { b[10] = 3; return b; }), code: 2, sub: 4 },
    { name: 'OPEN truncated capability', bytes: openBody((b) => Buffer.concat([b.subarray(0, 9), hex('04020203ff')])), code: 2, sub: 0 },
    { name: 'ROUTE-REFRESH of 5 octets', bytes: hex(MARKER + '0018050002000101'), code: 7, sub: 1 },
    { name: 'UPDATE withdrawn length overruns', bytes: frame(MSG.UPDATE, hex('00ff0000')), code: 3, sub: 1 },
    { name: 'UPDATE attribute length overruns message', bytes: frame(MSG.UPDATE, hex('000000ff')), code: 3, sub: 1 },
    { name: 'UPDATE NLRI prefix length 33', bytes: attrs(good, '21c0000235ff'), code: 3, sub: 10 },
    { name: 'UPDATE unrecognized well-known attribute', bytes: attrs(good + '40630100'), code: 3, sub: 2 },
    { name: 'UPDATE MP_REACH bad next hop length', bytes: attrs(good + '800e0800020103aabbcc00', ''), code: 3, sub: 9 },
    { name: 'UPDATE repeated MP_UNREACH_NLRI', bytes: attrs('800f03000201800f03000201', ''), code: 3, sub: 1 },
  ];
  for (const t of table) {
    it(`${t.name} → ${t.code}/${t.sub} session reset`, () => {
      try {
        decodeMessage(t.bytes);
      } catch (err) {
        expect(err).to.be.instanceOf(MessageError);
        const e = err as MessageError;
        expect([e.errorCode, e.subcode, e.action]).to.deep.equal([t.code, t.sub, 'session-reset']);
        return;
      }
      throw new Error('decoded without error');
    });
  }

  const soft: { name: string; a: string; sub: number; action: string }[] = [
    { name: 'ORIGIN value 3', a: '40010103' + good.slice(8), sub: 6, action: 'treat-as-withdraw' },
    { name: 'ORIGIN length 2', a: '4001020000' + good.slice(8), sub: 5, action: 'treat-as-withdraw' },
    { name: 'ORIGIN with the optional flag', a: 'c0010100' + good.slice(8), sub: 4, action: 'treat-as-withdraw' },
    { name: 'AS_PATH zero-length segment', a: '40010100' + '4002020200' + '400304c6336401', sub: 11, action: 'treat-as-withdraw' },
    { name: 'AS_PATH segment type 5', a: '40010100' + '400206050100000001' + '400304c6336401', sub: 11, action: 'treat-as-withdraw' },
    { name: 'NEXT_HOP length 3', a: '40010100400206020100000001' + '400303c63364', sub: 5, action: 'treat-as-withdraw' },
    { name: 'missing NEXT_HOP', a: '40010100400206020100000001', sub: 3, action: 'treat-as-withdraw' },
    { name: 'missing AS_PATH', a: '40010100400304c6336401', sub: 3, action: 'treat-as-withdraw' },
    { name: 'COMMUNITIES length 3', a: good + 'c00803010203', sub: 5, action: 'treat-as-withdraw' },
    { name: 'MED length 2', a: good + '80040200ff', sub: 5, action: 'treat-as-withdraw' },
    { name: 'attribute overrunning the attribute list', a: good + 'c00810', sub: 5, action: 'treat-as-withdraw' },
    { name: 'ATOMIC_AGGREGATE with a value', a: good + '40060101', sub: 5, action: 'attribute-discard' },
    { name: 'AS4_PATH malformed', a: good + 'c01103020100', sub: 11, action: 'attribute-discard' },
    { name: 'repeated ORIGIN', a: good + '40010100', sub: 1, action: 'attribute-discard' },
    // RFC 4271 §4.3: Partial is 0 for well-known attributes (RFC 7606 §3c: flags error).
    { name: 'ORIGIN with the Partial bit', a: '60010100' + good.slice(8), sub: 4, action: 'treat-as-withdraw' },
    { name: 'MED (optional non-transitive) with the Partial bit', a: good + 'a004040000000a', sub: 4, action: 'treat-as-withdraw' },
    // RFC 8092 §5: LARGE_COMMUNITY length a non-zero multiple of 12.
    { name: 'LARGE_COMMUNITY of length 13', a: good + 'c0200d' + '00'.repeat(13), sub: 5, action: 'treat-as-withdraw' },
    { name: 'LARGE_COMMUNITY of length 0', a: good + 'c02000', sub: 5, action: 'treat-as-withdraw' },
  ];
  it('LARGE_COMMUNITY of 12 octets and a partial optional transitive attribute are fine', () => {
    const ok = decodeMessage(attrs(good + 'c0200c' + '0000fbff' + '00000001' + '00000002' + 'e00804fbff0001'));
    expect(ok.type === 'update' && ok.update.issues).to.deep.equal([]);
  });
  it('ROUTE-REFRESH of the wrong length → 7/1 whose data is the whole message (RFC 7313 §5)', () => {
    const bad = hex(MARKER + '0018050002000101');
    try {
      decodeMessage(bad);
    } catch (err) {
      expect((err as MessageError).data.toString('hex')).to.equal(bad.toString('hex'));
      return;
    }
    throw new Error('decoded without error');
  });
  for (const t of soft) {
    it(`${t.name} → 3/${t.sub} ${t.action}`, () => {
      const d = decodeMessage(attrs(t.a));
      if (d.type !== 'update') throw new Error('not update');
      expect(d.update.issues.map((e) => [e.errorCode, e.subcode, e.action])).to.deep.include([3, t.sub, t.action]);
      expect(d.update.treatAsWithdraw).to.equal(t.action === 'treat-as-withdraw');
    });
  }
  it('a well-formed UPDATE has no issues', () => {
    const d = decodeMessage(attrs(good));
    expect(d.type === 'update' && d.update.issues).to.deep.equal([]);
  });
  it('random bytes never throw anything but MessageError', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(Array.from({ length: rnd() % 64 }, rnd));
      const type = 1 + (i % 5);
      try {
        decodeMessage(frame(type, body), { as4: i % 2 === 0 });
      } catch (err) {
        expect(err, `type ${type} body ${body.toString('hex')}`).to.be.instanceOf(MessageError);
      }
    }
  });
});
