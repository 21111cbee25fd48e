import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_INCLUDE_DEPTH, loadZoneFile, parseZone } from '../../src/zone';
import { HEAD, errorsOf, rr, rrs } from './helpers';

/** A readInclude over an in-memory file set that records which paths were asked for. */
function files(map: Record<string, string>): { read: (p: string) => string; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    read: (p: string) => {
      asked.push(p);
      const text = map[p];
      if (text === undefined) throw new Error(`ENOENT: no such file '${p}'`);
      return text;
    },
  };
}

describe('zone $INCLUDE', () => {
  it('resolves paths relative to the including file, at any depth', () => {
    const fs = files({
      'zones/sub/b.inc': 'b A 192.0.2.2\n$INCLUDE c.inc\n',
      'zones/sub/c.inc': 'c A 192.0.2.3\n',
    });
    const z = parseZone(HEAD + '$INCLUDE sub/b.inc\n', { file: 'zones/a.zone', readInclude: fs.read });
    expect(fs.asked).to.deep.equal(['zones/sub/b.inc', 'zones/sub/c.inc']);
    expect(rr(z, 'c.example.com', 'A').pos).to.deep.equal({ file: 'zones/sub/c.inc', line: 1, col: 1 });
    expect(z.file).to.equal('zones/a.zone');
  });

  it('takes an origin argument; the including file keeps its origin and owner, a $TTL stays (as in BIND)', () => {
    const fs = files({ 'z/svc.inc': '$TTL 5\n$ORIGIN elsewhere.example.com.\nin1 A 192.0.2.1\n' });
    const body = [
      'keep A 192.0.2.9',
      '$INCLUDE "svc.inc" svc.example.com. ; comment after the origin',
      '  AAAA 2001:db8::9', // blank owner: still 'keep', not the included file's last owner
      'after A 192.0.2.10',
    ].join('\n');
    const z = parseZone(HEAD + body + '\n', { file: 'z/t.zone', readInclude: fs.read });
    expect(rr(z, 'in1.elsewhere.example.com', 'A').ttl).to.equal(5);
    expect(rr(z, 'keep.example.com', 'A').ttl).to.equal(300);
    expect(rr(z, 'keep.example.com', 'AAAA').ttl).to.equal(5);
    expect(rr(z, 'after.example.com', 'A').ttl).to.equal(5);
  });

  it('an included file starts at the origin given to it', () => {
    const fs = files({ 'svc.inc': '@ TXT "here"\nx CNAME @\n' });
    const z = parseZone(HEAD + '$INCLUDE svc.inc svc\n', { file: 't.zone', readInclude: fs.read });
    expect(rrs(z, 'svc.example.com', 'TXT')).to.have.length(1);
    expect(rr(z, 'x.svc.example.com', 'CNAME').data).to.equal('svc.example.com');
  });

  it('reports errors inside an included file at that file, and goes on', () => {
    const fs = files({ 'zones/bad.inc': 'ok A 192.0.2.1\nbad A 192.0.2.999\n' });
    const errs = errorsOf(() => parseZone(HEAD + '$INCLUDE bad.inc\nz AAAA ::g\n', { file: 'zones/t.zone', readInclude: fs.read }));
    expect(errs).to.deep.equal(["zones/bad.inc:2:7: invalid IPv4 address '192.0.2.999'", "zones/t.zone:6:8: invalid IPv6 address '::g'"]);
  });

  const BROKEN: { what: string; files: Record<string, string>; body: string; errors: string[] }[] = [
    {
      what: 'a file including itself',
      files: { 'zones/loop.inc': 'x A 192.0.2.1\n$INCLUDE loop.inc\n' },
      body: '$INCLUDE loop.inc\n',
      errors: ['zones/loop.inc:2:10: $INCLUDE loop: zones/loop.inc → zones/loop.inc'],
    },
    {
      what: 'a loop back to the zone file',
      files: { 'zones/b.inc': '$INCLUDE ../zones/t.zone\n' },
      body: '$INCLUDE b.inc\n',
      errors: ['zones/b.inc:1:10: $INCLUDE loop: zones/t.zone → zones/b.inc → zones/t.zone'],
    },
    {
      what: 'a missing file',
      files: {},
      body: '$INCLUDE nope.inc\n',
      errors: ["zones/t.zone:5:10: cannot read $INCLUDE file 'zones/nope.inc': ENOENT: no such file 'zones/nope.inc'"],
    },
    {
      what: 'no file name',
      files: {},
      body: '$INCLUDE\n',
      errors: ['zones/t.zone:5:9: $INCLUDE needs a file name and an optional origin'],
    },
    {
      what: 'too many arguments',
      files: { 'zones/a.inc': '' },
      body: '$INCLUDE a.inc sub extra\n',
      errors: ["zones/t.zone:5:20: unexpected 'extra' after $INCLUDE a file name and an optional origin"],
    },
  ];
  for (const b of BROKEN) {
    it(`error: ${b.what}`, () => {
      const fs = files(b.files);
      expect(errorsOf(() => parseZone(HEAD + b.body, { file: 'zones/t.zone', readInclude: fs.read }))).to.deep.equal(b.errors);
    });
  }

  it(`stops nesting deeper than ${MAX_INCLUDE_DEPTH} files`, () => {
    const map: Record<string, string> = {};
    for (let i = 0; i < 20; i++) map[`d${i}.inc`] = `n${i} A 192.0.2.${i}\n$INCLUDE d${i + 1}.inc\n`;
    const errs = errorsOf(() => parseZone(HEAD + '$INCLUDE d0.inc\n', { file: 't.zone', readInclude: files(map).read }));
    expect(errs).to.deep.equal([`d${MAX_INCLUDE_DEPTH - 1}.inc:2:10: $INCLUDE nested more than ${MAX_INCLUDE_DEPTH} files deep`]);
  });

  describe('from the file system (loadZoneFile)', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'anypick-zone-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads includes next to the zone file and derives the origin from its name', () => {
      writeFileSync(join(dir, 'fs.example.zone'), '$TTL 60\n@ SOA ns h 1 1 1 1 1\n NS ns\n$INCLUDE hosts.inc\n');
      writeFileSync(join(dir, 'hosts.inc'), 'ns AAAA 2001:db8::53\n');
      const z = loadZoneFile(join(dir, 'fs.example.zone'));
      expect(z.origin).to.equal('fs.example');
      expect(rr(z, 'ns.fs.example', 'AAAA').pos.file).to.equal(join(dir, 'hosts.inc'));
    });

    it('reports a missing zone file as a SourceError', () => {
      const errs = errorsOf(() => loadZoneFile(join(dir, 'missing.zone')));
      expect(errs).to.have.length(1);
      expect(errs[0]).to.match(/^.*missing\.zone:1:1: cannot read zone file: ENOENT/);
    });
  });
});
