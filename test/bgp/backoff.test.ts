import { expect } from 'chai';
import { Retry, backoffDelay, dampDelay, jitter } from '../../src/bgp/backoff';
import type { RetryTiming } from '../../src/bgp/backoff';

const T: RetryTiming = { baseMs: 1000, maxMs: 30000, flapWithinMs: 10000, flapsAllowed: 2, dampMinMs: 15000, dampMaxMs: 600000 };

describe('bgp retry backoff and damping (pure, time injected)', () => {
  it('backoff is 1, 2, 4, 8, 16, 30, 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => backoffDelay(T, f))).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('jitter lowers a delay by at most 25 %', () => {
    expect([jitter(1000, 0), jitter(1000, 0.5), jitter(1000, 0.999999)]).to.deep.equal([750, 875, 1000]);
  });

  it('attempts that fail at once (connection refused) start 1, 2, 4, 8 s apart: one count per attempt', () => {
    const r = new Retry(T);
    const starts: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      starts.push(now);
      const end = r.slot(now, 0.999999); // Idle → Connect: the attempt's slot
      expect(r.slot(now + 5, 0.999999), 'a failure inside the slot keeps it').to.equal(end);
      now = end; // the connect-retry timer fires at the end of the slot
    }
    expect(starts.slice(1).map((s, i) => s - starts[i]!)).to.deep.equal([1000, 2000, 4000, 8000]);
  });

  it('a session reset before Established (e.g. a NOTIFICATION) waits for the end of its slot', () => {
    const r = new Retry(T);
    const end = r.slot(0, 0.999999);
    expect(r.afterDown(100, 0.999999)).to.deep.equal({ at: end });
    expect(r.slot(end, 0.999999) - end).to.equal(2000);
  });

  it('after Established the backoff starts over at 1 s', () => {
    const r = new Retry(T);
    r.slot(0, 0.999999);
    r.slot(1000, 0.999999);
    r.established(2000);
    expect(r.afterDown(60000, 0.999999)).to.deep.equal({ at: 61000 });
  });

  it('damping: the third session in a row that dies within 10 s of Established is held back 15 s, then 30, 60 … up to 10 min', () => {
    expect([1, 2, 3, 4, 5, 12].map((f) => dampDelay(T, f))).to.deep.equal([0, 0, 15000, 30000, 60000, 600000]);
    const r = new Retry(T);
    let now = 0;
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      r.established(now);
      const d = r.afterDown(now + 50, 0.999999); // the peer rejects the first UPDATE
      waits.push(d.damped?.delayMs);
      now = d.at + 10;
    }
    expect(waits).to.deep.equal([undefined, undefined, 15000, 30000, 60000]);
    expect(r.flaps).to.equal(5);
  });

  it('a session that lived longer than 10 s clears the flap count', () => {
    const r = new Retry(T);
    for (let i = 0; i < 3; i++) { r.established(i * 100); r.afterDown(i * 100 + 50, 0.5); }
    r.established(100000);
    expect(r.afterDown(200000, 0.999999).damped).to.equal(undefined);
    expect(r.flaps).to.equal(0);
  });
});
