import { rrTypeByText } from '../../src/rrtype/registry';
import { rdataBytes } from '../../src/dns/wire/writer';
import { expect } from 'chai';
import * as packet from 'dns-packet';
import { SourceErrors } from '../../src/util/source-error';
import { parseZone } from '../../src/zone';
import type { ParseZoneOptions } from '../../src/zone';
import type { Zone, ZoneRecord } from '../../src/zone/types';

/** Four lines every test zone starts with: origin example.com, $TTL 300, SOA, NS. */
export const HEAD = [
  '$ORIGIN example.com.',
  '$TTL 300',
  '@ SOA ns1 hostmaster 1 2h 30m 2w 5m',
  '  NS ns1',
].join('\n') + '\n';

/** Parses HEAD + body as `t.zone`. */
export function parseBody(body: string, opts: Partial<ParseZoneOptions> = {}): Zone {
  return parseZone(HEAD + body, { file: 't.zone', ...opts });
}

/** The formatted errors a parse throws; fails the test when it does not throw SourceErrors. */
export function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(SourceErrors);
    return (err as SourceErrors).errors.map((e) => e.format());
  }
  expect.fail('expected SourceErrors, but the zone parsed');
}

/** The records of the zone at `name` (and of `type`, when given), without the HEAD ones. */
export function rrs(zone: Zone, name: string, type?: string): ZoneRecord[] {
  return zone.records.filter((r) => r.name === name && (type === undefined || r.type === type));
}

/** The single record at `name` of `type`. */
export function rr(zone: Zone, name: string, type: string): ZoneRecord {
  const list = rrs(zone, name, type);
  expect(list, `${type} records at ${name}`).to.have.length(1);
  return list[0] as ZoneRecord;
}

/** Deep copy keeping Buffers Buffers (some dns-packet encoders modify their input). */
function clone(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

const rootAsEmpty = (v: unknown): unknown => (v === '.' ? '' : v);

/** dns-packet's decoded data, brought to the zone parser's conventions (root '', no issuerCritical). */
function normaliseDecoded(type: string, data: unknown): unknown {
  if (typeof data === 'string') return rootAsEmpty(data);
  if (data && typeof data === 'object' && !Buffer.isBuffer(data) && !Array.isArray(data)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = rootAsEmpty(v);
    if (type === 'CAA') delete out.issuerCritical;
    return out;
  }
  return data;
}

/**
 * Encodes the record as the answer of a DNS response with dns-packet, decodes it, checks the
 * decoded record equals the original, and re-encodes it to the same octets.
 */
export function roundTrip(r: ZoneRecord): void {
  if (rrTypeByText(r.type)?.kind === 'raw') {
    // RDATA octets: the server's writer frames them as they are.
    expect(Buffer.isBuffer(r.data), `${r.type} data is RDATA octets`).to.equal(true);
    const framed = rdataBytes(r);
    expect(framed.readUInt16BE(0)).to.equal((r.data as Buffer).length);
    expect(framed.subarray(2).equals(r.data as Buffer)).to.equal(true);
    return;
  }
  const answer = { name: r.name, type: r.type, class: 'IN', ttl: r.ttl, data: clone(r.data) } as packet.Answer;
  const wire = packet.encode({ type: 'response', id: 1, answers: [answer] });
  const back = packet.decode(wire).answers?.[0] as packet.Answer & { data: unknown; ttl: number };
  const where = `${r.type} at ${r.pos.file}:${r.pos.line}`;
  expect(rootAsEmpty(back.name), where).to.equal(r.name);
  expect(back.type, where).to.equal(r.type);
  expect(back.ttl, where).to.equal(r.ttl);
  expect(normaliseDecoded(r.type, back.data), where).to.deep.equal(r.data);
  const again = packet.encode({ type: 'response', id: 1, answers: [back as packet.Answer] });
  expect(again.equals(wire), `${where} re-encodes identically`).to.equal(true);
}
