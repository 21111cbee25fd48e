import { expect } from 'chai';
import { requireTools } from '../support/tools';
import { SAMPLE_DB } from '../geo/support';
import { MAIN, dig, makeDeliveryDir, removeDir, run, serve } from './support';

describe('gslb: anypick serve --workers', function () {
  let dir: string;
  before(() => (dir = makeDeliveryDir()));
  after(() => removeDir(dir));

  it('runs N processes sharing one port; all answer; SIGTERM stops them all (exit 0)', async function () {
    requireTools(this, 'dig');
    const s = await serve([dir, '--geoip-db', SAMPLE_DB, '--workers', '2'], '127.0.0.1', 2);
    try {
      expect(new Set(s.pids).size).to.equal(2);
      expect(s.pids).to.not.include(s.proc.pid);
      const answers = await Promise.all(Array.from({ length: 20 }, () => dig(s.port, 'example.com', 'AAAA', { subnet: '10.2.0.0/24' })));
      expect(new Set(answers.map((a) => a.addresses.join())), `other answers: ${JSON.stringify(answers.filter((a) => a.addresses.join() !== '2001:db8:478:2800::'))}`).to.deep.equal(new Set(['2001:db8:478:2800::']));
    } finally {
      const exited = new Promise<number | null>((done) => s.proc.once('exit', (code) => done(code)));
      await s.stop();
      expect(await exited).to.equal(0);
    }
    for (const pid of s.pids) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
  });

  for (const bad of ['0', 'two', '65']) {
    it(`rejects --workers ${bad} (exit 2)`, async () => {
      const r = await run(process.execPath, [MAIN, 'serve', dir, '--workers', bad, '--dns', '127.0.0.1:0']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/--workers .*expected a number of processes 1..64/);
    });
  }
});
