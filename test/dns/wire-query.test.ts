import { expect } from 'chai';
import { parseQuery } from '../../src/dns/wire/query';
import { decodeEcs, formatAddress } from '../../src/dns/wire/ecs';
import { nameKey, wireNameToText } from '../../src/dns/wire/name';
import { query } from './helpers';

/** A header: id 0x1234, the given flags and counts. */
function header(flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x1234, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}
const qname = Buffer.from([3, 0x77, 0x77, 0x77, 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]);
const qtail = Buffer.from([0, 1, 0, 1]);
const question = Buffer.concat([qname, qtail]);
/** An OPT RR: root owner, UDP 1232, given version and RDATA. */
function opt(rdata: Buffer = Buffer.alloc(0), version = 0, owner: Buffer = Buffer.from([0])): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(41, 0);
  f.writeUInt16BE(1232, 2);
  f[5] = version;
  f.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, f, rdata]);
}
/** An ECS option with raw family/source/scope/address bytes. */
function ecs(family: number, source: number, addr: number[], scope = 0): Buffer {
  const b = Buffer.alloc(8 + addr.length);
  b.writeUInt16BE(8, 0);
  b.writeUInt16BE(4 + addr.length, 2);
  b.writeUInt16BE(family, 4);
  b[6] = source;
  b[7] = scope;
  Buffer.from(addr).copy(b, 8);
  return b;
}

describe('dns wire: query parser (fast path)', () => {
  const malformed: Array<{ what: string; pkt: Buffer; expect: { kind: string; rcode?: number; reason?: RegExp } }> = [
    { what: 'empty datagram', pkt: Buffer.alloc(0), expect: { kind: 'drop', reason: /shorter than a DNS header/ } },
    { what: '11 bytes', pkt: Buffer.alloc(11), expect: { kind: 'drop', reason: /shorter/ } },
    { what: 'a response (QR=1)', pkt: Buffer.concat([header(0x8000, 1), question]), expect: { kind: 'drop', reason: /QR=1/ } },
    { what: 'opcode STATUS (2)', pkt: Buffer.concat([header(2 << 11, 1), question]), expect: { kind: 'error', rcode: 4, reason: /opcode 2/ } },
    { what: 'opcode UPDATE (5)', pkt: Buffer.concat([header(5 << 11, 1), question]), expect: { kind: 'error', rcode: 4, reason: /opcode 5/ } },
    { what: 'QDCOUNT 0', pkt: header(0, 0), expect: { kind: 'error', rcode: 1, reason: /QDCOUNT 0/ } },
    { what: 'QDCOUNT 2', pkt: Buffer.concat([header(0, 2), question, question]), expect: { kind: 'error', rcode: 1, reason: /QDCOUNT 2/ } },
    { what: 'question name runs past the end', pkt: Buffer.concat([header(0, 1), Buffer.from([9, 0x61])]), expect: { kind: 'error', rcode: 1, reason: /past the end/ } },
    { what: 'question without QTYPE/QCLASS', pkt: Buffer.concat([header(0, 1), qname, Buffer.from([0])]), expect: { kind: 'error', rcode: 1, reason: /truncated question/ } },
    { what: 'compression pointer in the question', pkt: Buffer.concat([header(0, 1), Buffer.from([0xc0, 0x0c]), qtail]), expect: { kind: 'error', rcode: 1, reason: /pointer in the question/ } },
    { what: 'extended label type 0x40', pkt: Buffer.concat([header(0, 1), Buffer.from([0x41, 0]), qtail]), expect: { kind: 'error', rcode: 1, reason: /label type 0x40/ } },
    { what: 'name longer than 255 octets', pkt: Buffer.concat([header(0, 1), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0]), qtail]), expect: { kind: 'error', rcode: 1, reason: /longer than 255/ } },
    { what: 'two OPT records', pkt: Buffer.concat([header(0, 1, 0, 0, 2), question, opt(), opt()]), expect: { kind: 'error', rcode: 1, reason: /more than one OPT/ } },
    { what: 'OPT in the answer section', pkt: Buffer.concat([header(0, 1, 1, 0, 0), question, opt()]), expect: { kind: 'error', rcode: 1, reason: /outside the additional/ } },
    { what: 'OPT owner not root', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(Buffer.alloc(0), 0, Buffer.from([1, 0x61, 0]))]), expect: { kind: 'error', rcode: 1, reason: /owner name is not the root/ } },
    { what: 'OPT RDATA past the end', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(Buffer.alloc(4)).subarray(0, 13)]), expect: { kind: 'error', rcode: 1, reason: /OPT RDATA runs past/ } },
    { what: 'EDNS option longer than the OPT', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(Buffer.from([0, 10, 0, 9, 1]))]), expect: { kind: 'error', rcode: 1, reason: /option runs past/ } },
    { what: 'ECS family 3', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(ecs(3, 8, [10]))]), expect: { kind: 'error', rcode: 1, reason: /family 3/ } },
    { what: 'ECS IPv4 source prefix 33', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(ecs(1, 33, [10, 0, 0, 0, 0]))]), expect: { kind: 'error', rcode: 1, reason: /source prefix 33 exceeds 32/ } },
    { what: 'ECS address longer than the prefix needs', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(ecs(1, 8, [10, 1]))]), expect: { kind: 'error', rcode: 1, reason: /needs 1/ } },
    { what: 'ECS non-zero bits beyond the prefix', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(ecs(1, 20, [10, 1, 0x1f]))]), expect: { kind: 'error', rcode: 1, reason: /non-zero bits/ } },
    { what: 'two ECS options', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(Buffer.concat([ecs(1, 8, [10]), ecs(1, 8, [10])]))]), expect: { kind: 'error', rcode: 1, reason: /two ECS/ } },
    { what: 'ARCOUNT 1 without a record', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question]), expect: { kind: 'error', rcode: 1, reason: /record name runs past/ } },
    { what: 'trailing bytes', pkt: Buffer.concat([header(0, 1), question, Buffer.from([1, 2, 3])]), expect: { kind: 'error', rcode: 1, reason: /3 trailing bytes/ } },
    { what: 'forward compression pointer in an additional record', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, Buffer.from([0xc0, 0xff])]), expect: { kind: 'error', rcode: 1, reason: /points forward/ } },
    { what: 'EDNS version 1', pkt: Buffer.concat([header(0, 1, 0, 0, 1), question, opt(Buffer.alloc(0), 1)]), expect: { kind: 'error', rcode: 16, reason: /EDNS version 1/ } },
  ];
  for (const c of malformed) {
    it(`${c.what} → ${c.expect.kind}${c.expect.rcode !== undefined ? ` rcode ${c.expect.rcode}` : ''}`, () => {
      const r = parseQuery(c.pkt);
      expect(r.kind).to.equal(c.expect.kind);
      if (r.kind === 'error') {
        expect(r.rcode).to.equal(c.expect.rcode);
        expect(r.id).to.equal(0x1234);
      }
      if (r.kind !== 'query' && c.expect.reason) expect(r.reason).to.match(c.expect.reason);
    });
  }

  it('reads id, flags, lower-cased key, qtype and qclass of a plain query', () => {
    const r = parseQuery(query('WwW.ExAmple.COM', 'AAAA', { id: 77 }));
    expect(r.kind).to.equal('query');
    if (r.kind !== 'query') return;
    expect(r.query.id).to.equal(77);
    expect(r.query.qtype).to.equal(28);
    expect(r.query.qclass).to.equal(1);
    expect(r.query.flags & 0x0100).to.equal(0x0100);
    expect(r.query.edns).to.equal(undefined);
    expect(r.query.key).to.equal(nameKey('www.example.com'));
    expect(r.query.qnameEnd).to.equal(12 + 17);
  });

  it('reads EDNS size, DO and a valid ECS option', () => {
    const r = parseQuery(Buffer.concat([header(0, 1, 0, 0, 1), question, opt(ecs(1, 20, [10, 1, 0x10]))]));
    expect(r.kind).to.equal('query');
    if (r.kind !== 'query') return;
    expect(r.query.edns?.udpSize).to.equal(1232);
    expect(r.query.edns?.ecs).to.include({ family: 1, sourcePrefix: 20, scopePrefix: 0 });
    expect(formatAddress(1, r.query.edns!.ecs!.addressBytes)).to.equal('10.1.16.0');
  });

  it('accepts the root name and a query with a non-OPT additional record', () => {
    const root = parseQuery(Buffer.concat([header(0, 1), Buffer.from([0, 0, 2, 0, 1])]));
    expect(root.kind).to.equal('query');
    const rec = Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])]);
    const withRr = parseQuery(Buffer.concat([header(0, 1, 0, 0, 1), question, rec]));
    expect(withRr.kind).to.equal('query');
  });
});

describe('dns wire: ECS and names', () => {
  it('formats IPv6 ECS prefixes padded with zero bytes', () => {
    const b = Buffer.from([0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    const r = decodeEcs(b, 0, b.length);
    expect(r).to.include({ family: 2, sourcePrefix: 48 });
    expect(formatAddress(2, (r as { addressBytes: Buffer }).addressBytes)).to.equal('2001:db8:1::');
    expect(formatAddress(1, Buffer.from([192, 0]))).to.equal('192.0.0.0');
  });
  it('turns wire names into lower-case presentation with escapes', () => {
    const b = Buffer.from([3, 0x41, 0x2e, 0x01, 3, 0x63, 0x6f, 0x6d, 0]);
    expect(wireNameToText(b, 0, b.length)).to.equal('a\\.\\001.com');
  });
});
