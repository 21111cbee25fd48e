import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadZoneFile } from '../../src/zone';
import type { Zone, ZoneRecord } from '../../src/zone/types';
import { roundTrip, rr, rrs } from './helpers';

const ZONES_DIR = join(__dirname, '..', '..', '..', 'zones');
const zoneFiles = readdirSync(ZONES_DIR).filter((f) => f.endsWith('.zone'));

/** True when the IPv6 address (canonical text) starts with the /56 2001:db8:ae21:7700::/56. */
const inDatacenter1 = (a: string): boolean => /^2001:db8:ae21:77[0-9a-f]{2}:/.test(a);
const in192_0_2 = (a: string): boolean => /^192\.0\.2\.\d+$/.test(a);

describe('shipped zones (zones/*.zone)', () => {
  it('finds the shipped zone files', () => {
    expect(zoneFiles).to.include.members(['example.com.zone', '2.0.192.in-addr.arpa.zone']);
  });

  for (const f of zoneFiles) {
    describe(f, () => {
      let zone: Zone;
      before(() => {
        zone = loadZoneFile(join(ZONES_DIR, f));
      });
      it('loads with no errors, origin from the file', () => {
        expect(zone.origin).to.equal(f.slice(0, -'.zone'.length));
        expect(zone.soa.name).to.equal(zone.origin);
        expect(zone.warnings ?? []).to.deep.equal([]);
      });
      it('every record round-trips through dns-packet', () => {
        expect(zone.records.length).to.be.greaterThan(2);
        for (const r of zone.records) roundTrip(r);
      });
    });
  }

  describe('example.com.zone content', () => {
    let z: Zone;
    const data = (name: string, type: string): unknown[] => rrs(z, name, type).map((r) => r.data);
    before(() => {
      z = loadZoneFile(join(ZONES_DIR, 'example.com.zone'));
    });

    it('has no apex address: the datacenter pick answers for example.com', () => {
      expect(rrs(z, 'example.com', 'A')).to.deep.equal([]);
      expect(rrs(z, 'example.com', 'AAAA')).to.deep.equal([]);
    });
    it('delegates to ns1 on the anycast address 2001:db8::53 and ns2 on its own, with IPv4 glue in 192.0.2.0/24', () => {
      expect(data('example.com', 'NS')).to.deep.equal(['ns1.example.com', 'ns2.example.com']);
      expect(data('ns1.example.com', 'AAAA')).to.deep.equal(['2001:db8::53']);
      expect(data('ns2.example.com', 'AAAA')).to.deep.equal(['2001:db8:1::53']);
      const all: unknown[] = [];
      for (const ns of ['ns1.example.com', 'ns2.example.com']) {
        expect(data(ns, 'A')).to.have.length(1);
        expect(in192_0_2(data(ns, 'A')[0] as string)).to.equal(true);
        all.push(...data(ns, 'A'), ...data(ns, 'AAAA'));
      }
      // No two NS names on one address (Zonemaster DELEGATION02 is an ERROR for that).
      expect(new Set(all).size).to.equal(all.length);
      expect((z.soa.data as { mname: string }).mname).to.equal('ns1.example.com');
    });
    it('www has A and AAAA, the AAAA inside datacenter-1 2001:db8:ae21:7700::/56', () => {
      expect(inDatacenter1(rr(z, 'www.example.com', 'AAAA').data as string)).to.equal(true);
      expect(in192_0_2(rr(z, 'www.example.com', 'A').data as string)).to.equal(true);
    });
    it('has MX, TXT with an escaped quote, SRV and CAA', () => {
      expect(data('example.com', 'MX')).to.deep.equal([{ preference: 10, exchange: 'mail.example.com' }]);
      const quoted = z.records.filter((r) => r.type === 'TXT' && (r.data as Buffer[]).some((b) => b.includes('"')));
      expect(quoted).to.have.length.greaterThan(0);
      expect(z.records.filter((r) => r.type === 'SRV').map((r) => (r.data as { target: string }).target)).to.include('mail.example.com');
      expect(data('example.com', 'CAA')).to.deep.include({ flags: 0, tag: 'issue', value: 'letsencrypt.org' });
    });
    it('has a CNAME chain old -> alias -> www ending at addresses', () => {
      expect(rr(z, 'old.example.com', 'CNAME').data).to.equal('alias.example.com');
      expect(rr(z, 'alias.example.com', 'CNAME').data).to.equal('www.example.com');
      expect(rrs(z, 'www.example.com', 'AAAA')).to.have.length(1);
    });
    it('has a wildcard *.wild', () => {
      expect(rrs(z, '*.wild.example.com').length).to.be.greaterThan(0);
    });
    it('delegates sub.example.com with in-bailiwick glue', () => {
      expect(data('sub.example.com', 'NS')).to.deep.equal(['ns1.sub.example.com']);
      expect(rrs(z, 'ns1.sub.example.com', 'A')).to.have.length(1);
      expect(rrs(z, 'ns1.sub.example.com', 'AAAA')).to.have.length(1);
    });
    it('pulls records in with $INCLUDE from a .inc file', () => {
      const included = z.records.filter((r: ZoneRecord) => r.pos.file.endsWith('example.com.inc'));
      expect(included.map((r) => r.name)).to.include('mail.example.com');
    });
  });

  describe('2.0.192.in-addr.arpa.zone content', () => {
    it('maps the 192.0.2.0/24 hosts of example.com back to their names', () => {
      const rev = loadZoneFile(join(ZONES_DIR, '2.0.192.in-addr.arpa.zone'));
      const fwd = loadZoneFile(join(ZONES_DIR, 'example.com.zone'));
      const ptrs = rev.records.filter((r) => r.type === 'PTR');
      expect(ptrs.length).to.be.greaterThan(2);
      for (const p of ptrs) {
        const addr = `192.0.2.${p.name.split('.')[0]}`;
        expect(rrs(fwd, p.data as string, 'A').map((r) => r.data), p.name).to.include(addr);
      }
    });
  });
});
