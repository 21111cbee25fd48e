import { expect } from 'chai';
import { DEFAULT_WEIGHT_PARAMS, headroom, mergeErrors, penalty, ramp, weightFactor } from '../../src/signals/weight';
import type { WeightInputs } from '../../src/signals/weight';

const P = DEFAULT_WEIGHT_PARAMS;
const NOW = 1_000_000;

describe('signals/weight: factor = readiness × headroom × ramp × (1 − penalty)', () => {
  const table: Array<[string, WeightInputs, number]> = [
    ['ready, nothing else reported', { readiness: 1 }, 1],
    ['not ready is out whatever else', { readiness: 0, utilization: { value: 0, at: NOW } }, 0],
    ['half the capacity ready', { readiness: 0.5 }, 0.5],
    ['utilization 0.3 leaves 0.7 headroom', { readiness: 1, utilization: { value: 0.3, at: NOW } }, 0.7],
    ['utilization 1 keeps the floor', { readiness: 1, utilization: { value: 1, at: NOW } }, 0.05],
    ['stale utilization is ignored', { readiness: 1, utilization: { value: 0.9, at: NOW - P.utilizationMaxAgeMs - 1 } }, 1],
    ['utilization exactly at the age bound still counts', { readiness: 1, utilization: { value: 0.5, at: NOW - P.utilizationMaxAgeMs } }, 0.5],
    ['ramp starts at the minimum', { readiness: 1, rampFrom: NOW }, 0.1],
    ['ramp is linear inside the window', { readiness: 1, rampFrom: NOW - 5000 }, 0.5],
    ['ramp ends after the window', { readiness: 1, rampFrom: NOW - 10_000 }, 1],
    ['fresh error ratio 0.2', { readiness: 1, errors: { value: 0.2, at: NOW } }, 0.8],
    ['error penalty halves per half-life', { readiness: 1, errors: { value: 0.4, at: NOW - 10_000 } }, 0.8],
    ['errors alone never eject', { readiness: 1, errors: { value: 1, at: NOW } }, 0.1],
    ['everything combined', { readiness: 0.5, utilization: { value: 0.2, at: NOW }, rampFrom: NOW - 5000, errors: { value: 0.5, at: NOW } }, 0.1],
    ['readiness above 1 is clamped', { readiness: 7 }, 1],
    ['NaN readiness is out', { readiness: NaN }, 0],
  ];
  for (const [name, inp, want] of table) {
    it(name, () => expect(weightFactor(inp, NOW, P)).to.equal(want));
  }

  it('aggression > 1 ramps faster early (Envoy slow_start)', () => {
    const p = { ...P, slowStartAggression: 2 };
    expect(ramp(NOW - 2500, NOW, p)).to.be.closeTo(0.5, 1e-9);
    expect(ramp(NOW - 2500, NOW, P)).to.be.closeTo(0.25, 1e-9);
  });

  it('a zero window disables the ramp', () => {
    expect(ramp(NOW, NOW, { ...P, slowStartWindowMs: 0 })).to.equal(1);
  });

  it('headroom is 1 with no utilization', () => {
    expect(headroom(undefined, NOW, P)).to.equal(1);
  });

  it('a new error ratio below the decayed old one does not erase it', () => {
    const old = { value: 0.8, at: NOW - 10_000 };
    const merged = mergeErrors(old, 0, NOW, P);
    expect(merged.value).to.be.closeTo(0.4, 1e-9);
    expect(penalty(merged, NOW, P)).to.be.closeTo(0.4, 1e-9);
    expect(mergeErrors(old, 0.9, NOW, P).value).to.equal(0.9);
  });
});
