import { expect } from 'chai';
import { OutlierDetector } from '../../src/l7/proxy/outlier';

describe('l7/outlier detection (passive health)', () => {
  let now = 0;
  const det = () => new OutlierDetector({ consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 4000, now: () => now });
  beforeEach(() => (now = 0));

  it('ejects after consecutive failures; a success in between resets the count', () => {
    const d = det();
    expect(d.record('m', 'failure')).to.equal(false);
    expect(d.record('m', 'failure')).to.equal(false);
    d.record('m', 'success');
    expect(d.record('m', 'failure')).to.equal(false);
    expect(d.record('m', 'failure')).to.equal(false);
    expect(d.record('m', 'failure')).to.equal(true);
    expect(d.isEjected('m')).to.equal(true);
  });
  it('a connection failure ejects at once', () => {
    const d = det();
    expect(d.record('m', 'connect-failure')).to.equal(true);
    expect(d.isEjected('other')).to.equal(false);
  });
  it('returns after its time; repeated ejections back off exponentially up to the cap', () => {
    const d = det();
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      d.record('m', 'connect-failure');
      times.push(d.remainingMs('m'));
      now += d.remainingMs('m');
      expect(d.isEjected('m')).to.equal(false);
    }
    expect(times).to.deep.equal([1000, 2000, 4000, 4000]);
  });
  it('a healthy stretch after the return lowers the backoff again', () => {
    const d = det();
    d.record('m', 'connect-failure');
    now += 1000;
    d.record('m', 'connect-failure');
    now += 2000;
    d.record('m', 'success');
    now += 1000;
    d.record('m', 'success');
    d.record('m', 'connect-failure');
    expect(d.remainingMs('m')).to.equal(2000);
  });
  it('failures while ejected do not extend the ejection', () => {
    const d = det();
    d.record('m', 'connect-failure');
    now += 500;
    d.record('m', 'connect-failure');
    expect(d.remainingMs('m')).to.equal(500);
    expect(d.ejected()).to.deep.equal([{ key: 'm', remainingMs: 500, ejections: 1 }]);
  });
});
