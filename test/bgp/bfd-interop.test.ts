import { expect } from 'chai';
import { join } from 'node:path';
import { requireTools, canUseNetns } from '../support/tools';
import { Topology } from './support/netns';
import { Bird, until } from './support/bird';
import { Sidecar, configDir, extendedConfig, startDns, removeDir, ROOT } from './support/sidecar';
import { loadAddon } from '../../src/native/addon';

const STATUS_PORT = 8155;

describe('bgp + BFD interop with BIRD 2 (`bfd on`, protocol bfd) in network namespaces', function () {
  this.timeout(60000);
  let t: Topology | undefined;
  let bird: Bird | undefined;
  let s: Sidecar | undefined;
  let dir: string | undefined;

  before(function () {
    requireTools(this, 'bird', 'birdc', 'ip', 'curl');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('CI must run as root for the BIRD interop tests');
      this.skip();
    }
    const addon = loadAddon('anypick_sockopt');
    if (!addon.ok) throw new Error(`BFD needs the native addon: ${addon.reason}`);
    t = new Topology();
    t.up();
    bird = new Bird(t, { holdTime: 9, bfd: { intervalMs: 100, multiplier: 3 } });
    bird.start();
    startDns(t);
    dir = configDir(extendedConfig({ holdTime: 9, neighbor: ['bfd;', 'bfd-interval 100ms;', 'bfd-multiplier 3;'] }));
    s = new Sidecar(t, [dir, join(ROOT, 'zones', 'example.com.zone'), '--status-http', `127.0.0.1:${STATUS_PORT}`]);
  });

  after(() => {
    t?.down();
    bird?.cleanup();
    if (dir) removeDir(dir);
  });

  const has = (prefix: string) => bird!.routes().includes(prefix);
  const bfdUp = () => /\sUp\s/.test(bird!.birdc('show', 'bfd', 'sessions'));

  it('the BFD session comes Up next to the BGP session, and the prefixes are announced', async () => {
    expect(await until(() => has('2001:db8::53/128') && bfdUp(), 20000, 100), s!.log.slice(-3000)).to.equal(true);
    expect(s!.log).to.match(/bfd (Init|Down) → Up/);
  });

  it('SIGSTOP of every process on the node: BIRD drops the route long before the 9 s hold time; SIGCONT brings it back', async () => {
    const pids = t!.exec(t!.spk, 'ip', 'netns', 'pids', t!.spk).split(/\s+/).filter(Boolean).map(Number);
    const signal = (sig: NodeJS.Signals) => { for (const p of pids) { try { process.kill(p, sig); } catch { /* the listing itself */ } } };
    const t0 = Date.now();
    signal('SIGSTOP');
    let gone: boolean;
    try {
      gone = await until(() => !has('2001:db8::53/128'), 5000, 20);
    } finally {
      signal('SIGCONT');
    }
    const took = Date.now() - t0;
    expect(gone, 'withdrawn at BIRD').to.equal(true);
    // Not a timing assertion: anything below the hold time (9 s) shows that BFD, not the hold timer, acted.
    expect(took).to.be.below(9000);
    expect(bird!.birdc('show', 'protocols', 'all', 'anypick')).to.match(/BFD session down|Neighbor lost|BFD/i);
    expect(await until(() => has('2001:db8::53/128') && bfdUp(), 20000, 100), s!.log.slice(-3000)).to.equal(true);
  });
});
