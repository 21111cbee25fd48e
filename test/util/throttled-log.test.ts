import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ThrottledWarnings } from '../../src/util/throttled-log';

describe('ThrottledWarnings', () => {
  it('logs one line per cause per interval and reports how many it held back', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
    let now = 0;
    const w = new ThrottledWarnings(pino({ level: 'warn' }, sink), 60_000, () => now);
    for (let i = 0; i < 1000; i++) w.warn('rrl', 'limited', { prefix: '192.0.2.0/24' });
    w.warn('tcp full', 'refused');
    expect(lines.map((l) => l.cause)).to.deep.equal(['rrl', 'tcp full']);
    now = 60_000;
    w.warn('rrl', 'limited');
    expect(lines[2]).to.include({ cause: 'rrl', suppressed: 999, msg: 'limited' });
  });
});
