import { expect } from 'chai';
import { loadAddon } from '../../src/native/addon';

describe('native addon loader', () => {
  it('reports a missing addon with its name instead of throwing', () => {
    const r = loadAddon('anypick_no_such_addon');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.reason).to.match(/anypick_no_such_addon is not built/);
  });
});
