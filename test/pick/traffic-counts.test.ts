import { expect } from 'chai';
import { GeoDatabase } from '../../src/geo/database';
import { DatacenterResponder } from '../../src/pick/datacenter-responder';
import type { DcMemberSpec, DcServiceSpec } from '../../src/pick/datacenter-services';
import { seededRandom } from '../../src/pick/random';
import { AnswerCounts } from '../../src/pick/answer-counts';
import { MAX_REGIONS, TrafficCounts } from '../../src/pick/traffic-counts';
import { parseAddress } from '../../src/util/ip';
import { SAMPLE_DB } from '../geo/support';

const pos = { file: 't.delivery', line: 1, col: 1 };
const member = (name: string, v6: string): DcMemberSpec => ({ name, weight: 10, dynamic: true, pos, targets: [{ address: v6, family: 6, network: `${v6}/56`, ttl: 90, pos }] });
const spec = (sticky: boolean): DcServiceSpec => ({
  service: 'my-service', name: 'example.com', membership: false, options: {}, sticky, pos,
  members: [member('datacenter-1', '2001:db8:ae21:7700::'), member('datacenter-2', '2001:db8:478:2800::'), member('datacenter-3', '2001:db8:c001:e400::')],
});
const ecs = (address: string, bytes: boolean) => ({ address: '127.0.0.1', family: 4 as const, ecs: { family: 1 as const, sourcePrefix: 24, address, bytes: bytes ? parseAddress(address).subarray(0, 3) : undefined } });

describe('pick/traffic-counts: answers per datacenter and client region', () => {
  let geo: GeoDatabase;
  before(() => (geo = GeoDatabase.open(SAMPLE_DB, { watch: false })));
  after(() => geo.close());

  for (const sticky of [false, true]) {
    for (const bytes of [false, true]) {
      it(`counts each answer under the picked datacenter and the client's country${sticky ? ' (sticky)' : ''}${bytes ? ' (ECS bytes)' : ''}`, () => {
        const traffic = new TrafficCounts();
        const counts = new AnswerCounts();
        const r = new DatacenterResponder(spec(sticky), { geo, rand: seededRandom(1), traffic, counts });
        // The sample database: 10.1/16 us-west (US), 10.2/16 europe (DE), 10.3/16 asia (JP); 10.4/16 us-east (US).
        for (let i = 0; i < 5; i++) r.answer('AAAA', ecs('10.1.0.0', bytes));
        for (let i = 0; i < 3; i++) r.answer('AAAA', ecs('10.2.0.0', bytes));
        r.answer('AAAA', ecs('10.3.0.0', bytes));
        r.answer('AAAA', ecs('10.4.0.0', bytes));
        // Outside the database: no location, an unknown region.
        r.answer('AAAA', ecs('172.16.0.0', bytes));
        const cells = traffic.view().cells.map((c) => `${c.member} ${c.region} ${c.n}`).sort();
        expect(cells.filter((c) => !c.endsWith('unknown 1'))).to.deep.equal(['datacenter-1 US 6', 'datacenter-2 DE 3', 'datacenter-3 JP 1']);
        expect(cells.filter((c) => c.endsWith('unknown 1'))).to.have.length(1);
        const us = traffic.view().cells.find((c) => c.region === 'US')!;
        expect(us.location?.lat).to.be.within(37, 41);
        // The per-member answer counts are unchanged by it.
        expect(counts.drain().reduce((a, c) => a + c.n, 0)).to.equal(11);
      });
    }
  }

  it(`keeps at most ${MAX_REGIONS} regions per datacenter, the rest as 'other'`, () => {
    const t = new TrafficCounts();
    for (let i = 0; i < 100; i++) t.counter('dc', `R${i}`).n++;
    t.counter('dc', 'R0').n++;
    const cells = t.view().cells;
    expect(cells).to.have.length(MAX_REGIONS);
    expect(cells.find((c) => c.region === 'other')?.n).to.equal(100 - (MAX_REGIONS - 1));
    expect(cells.find((c) => c.region === 'R0')?.n).to.equal(2);
    expect(t.view().cells.reduce((a, c) => a + c.n, 0)).to.equal(101);
  });
});
