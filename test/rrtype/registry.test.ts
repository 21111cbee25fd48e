import { expect } from 'chai';
import * as registry from '../../src/rrtype/registry';
import { nameToWire, svcbTarget, typeBitmap } from '../../src/rrtype/wire';

// The README's example runs in test/docs/readmes.test.ts with every folder README.
describe('rrtype registry', () => {
  const cases: Array<[string, number | undefined, string | undefined]> = [
    ['A', 1, 'A'], ['aaaa', 28, 'AAAA'], ['TYPE65', 65, 'HTTPS'], ['svcb', 64, 'SVCB'], ['TYPE1', 1, 'A'],
    ['TYPE65280', 65280, 'TYPE65280'], ['TYPE0', 0, 'TYPE0'], ['TYPE65536', undefined, undefined], ['NOTATYPE', undefined, undefined],
    ['UNKNOWN_65280', undefined, undefined], ['NSAP-PTR', 23, 'NSAP-PTR'],
  ];
  for (const [text, code, name] of cases) {
    it(`'${text}' → ${code === undefined ? 'not a type' : `${code} ${name}`}`, () => {
      const t = registry.rrTypeByText(text);
      expect(t?.code).to.equal(code);
      expect(t?.name).to.equal(name);
    });
  }

  it('names and codes round-trip for every registered code and unnamed ones', () => {
    for (let c = 0; c < 65536; c += 7) expect(registry.rrTypeCode(registry.rrTypeName(c))).to.equal(c);
    expect(registry.rrTypeCode('NOPE')).to.equal(-1);
  });

  it('metric labels: registered mnemonics, everything else "other"', () => {
    expect(registry.rrTypeMetricLabel(65)).to.equal('HTTPS');
    expect(registry.rrTypeMetricLabel(65280)).to.equal('other');
    const labels = new Set(Array.from({ length: 65536 }, (_, c) => registry.rrTypeMetricLabel(c)));
    expect(labels.size).to.be.lessThan(120);
  });

  it('meta types (RFC 6895 §3.1)', () => {
    expect([0, 41, 128, 251, 255].every(registry.isMetaType)).to.equal(true);
    expect([1, 65, 256, 65280].some(registry.isMetaType)).to.equal(false);
  });
});

describe('rrtype wire helpers', () => {
  it('type bitmaps (RFC 4034 §4.1.4 example: A MX RRSIG NSEC TYPE1234)', () => {
    expect(typeBitmap([1, 15, 46, 47, 1234]).toString('hex')).to.equal('0006400100000003' + '041b000000000000000000000000000000000000000000000000000020');
    expect(typeBitmap([]).length).to.equal(0);
  });

  it('names: escapes undone, root', () => {
    expect(nameToWire('').toString('hex')).to.equal('00');
    expect(nameToWire('a\\.b.c').toString('hex')).to.equal('03612e620163' + '00');
    expect(nameToWire('x\\032y').toString('hex')).to.equal('0378207900');
  });

  it('SVCB TargetName, and malformed octets', () => {
    expect(svcbTarget(Buffer.from('0001037777770474657374' + '00', 'hex'))).to.equal('www.test');
    expect(svcbTarget(Buffer.from('000100', 'hex'))).to.equal('');
    expect(svcbTarget(Buffer.from('000105777777', 'hex'))).to.equal(undefined);
  });
});
