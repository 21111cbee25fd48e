/** `anypick explain --live`: the decision of a running serve, by its live member state. */
import { expect } from 'chai';
import { requireTools } from '../support/tools';
import { MAIN } from '../support/anypick';
import { LiveRig } from '../support/live-rig';
import { SAMPLE_DB } from '../geo/support';
import { dig, run } from './support';

const REPORTED = '2001:db8:ae21:7700::99';

describe('gslb: anypick explain --live (serve + report)', function () {
  this.timeout(60_000);
  let rig: LiveRig;
  let dir = '';
  before(function () {
    requireTools(this, 'dig');
    rig = new LiveRig('explain-live', '2s');
    dir = rig.dir;
  });
  after(() => rig.close());

  it('names the live pick (reported address, not-ready member) where the static explanation does not', async () => {
    const srv = await rig.serve(['--geoip-db', SAMPLE_DB]);
    rig.report(srv.signals!, 'datacenter-1', ['--address', REPORTED]);
    rig.report(srv.signals!, 'datacenter-2', ['--ready', '0']);
    // Europe's client: datacenter-2 is nearest but not ready; live DNS answers datacenter-1's reported address.
    const t0 = Date.now();
    while ((await dig(srv.dns, 'example.com', 'AAAA', { subnet: '10.2.0.0/24' })).addresses[0] !== REPORTED) {
      if (Date.now() - t0 > 15_000) throw new Error('serve never answered the reported address');
      await new Promise((r) => setTimeout(r, 200));
    }
    const args = [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', '--geoip-db', SAMPLE_DB, dir];
    const live = await run(process.execPath, [...args, '--live', '--http', `127.0.0.1:${srv.http}`, '--json']);
    expect(live.code, live.stderr).to.equal(0);
    const j = JSON.parse(live.stdout);
    expect(j.state).to.equal('live');
    expect(j.picked).to.deep.equal(['datacenter-1']);
    expect(j.answer.map((a: { data: string }) => a.data)).to.deep.equal([REPORTED]);
    expect(j.members.find((m: { name: string }) => m.name === 'datacenter-2')).to.include({ ready: false, notReady: 'not-ready' });
    expect(j.reason).to.match(/spilled to group 2/);

    const text = await run(process.execPath, [...args, '--live', '--http', `127.0.0.1:${srv.http}`]);
    expect(text.stdout).to.match(/live state/);
    expect(text.stdout).to.contain(`answer:  example.com 90 IN AAAA ${REPORTED}`);

    const offline = JSON.parse((await run(process.execPath, [...args, '--json'])).stdout);
    expect(offline.state).to.equal('static');
    expect(offline.picked).to.deep.equal(['datacenter-2']);
  });

  it('says where it could not reach the serve', async () => {
    const r = await run(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', '--live', '--http', '127.0.0.1:1', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/cannot reach anypick serve at http:\/\/127\.0\.0\.1:1\/status\.json/);
  });
});
