import { expect } from 'chai';
import { parseTree } from '../../src/config/lexer';
import type { Node } from '../../src/config/lexer';
import type { SourceError } from '../../src/util/source-error';

/** Compact view: `head[:] args… [;]` with children nested. */
function show(nodes: Node[]): unknown[] {
  return nodes.map((n) => {
    const line = [n.head.text + (n.head.colon ? ':' : ''), ...n.args.map((a) => (a.quoted ? JSON.stringify(a.text) : a.text) + (a.colon ? ':' : ''))].join(' ') + (n.semicolon ? ';' : '');
    return n.children.length ? [line, show(n.children)] : line;
  });
}

function parse(src: string): { tree: unknown[]; errors: string[]; nodes: Node[] } {
  const errors: SourceError[] = [];
  const nodes = parseTree('f', src, errors);
  return { tree: show(nodes), errors: errors.map((e) => e.format()), nodes };
}

describe('config: lexer and indentation tree', () => {
  const GOOD: [string, string, unknown[]][] = [
    ['keyword with and without colon', 'listen "https://a"\nlisten: "https://a"\n', ['listen "https://a"', 'listen: "https://a"']],
    ['semicolon terminator', 'a\n  local-asn 64511;\n  passive ;\n', [['a', ['local-asn 64511;', 'passive;']]]],
    ['IPv6 keeps its colons', 'listen: 2001:db8::\n', ['listen: 2001:db8::']],
    ['comments outside quotes only', 'a "x # y" # comment\n# whole line\n', ['a "x # y"']],
    ['escapes in strings', 'a "q\\"b\\\\c"\n', ['a "q\\"b\\\\c"']],
    ['nesting and dedent', 'a\n  b\n    c\n  d\ne\n', [['a', [['b', ['c']], 'd']], 'e']],
    ['blank lines and CRLF', 'a\r\n\r\n  b\r\n', [['a', ['b']]]],
    ['colon on a middle word', 'channel @x: endpoint "u"\n', ['channel @x: endpoint "u"']],
  ];
  for (const [name, src, tree] of GOOD) {
    it(name, () => {
      const r = parse(src);
      expect(r.errors).to.deep.equal([]);
      expect(r.tree).to.deep.equal(tree);
    });
  }

  it('records the column of every word', () => {
    const { nodes } = parse('a:\n  routes neighbor "2001:db8::1"\n');
    const w = nodes[0].children[0];
    expect([w.head.pos, ...w.args.map((x) => x.pos)].map((p) => `${p.line}:${p.col}`)).to.deep.equal(['2:3', '2:10', '2:19']);
  });

  const BAD: [string, string, string[]][] = [
    ['tab indentation', 'a\n\tb\n', ['f:2:1: tab character in indentation: indent with spaces']],
    ['dedent to an unknown level', 'a\n    b\n      c\n  d\n', ['f:4:3: inconsistent indentation: 2 spaces, but the lines above at this level have 4']],
    ['indented first line', ' a\n', ['f:1:2: unexpected indentation: a top-level line must start in column 1']],
    ['unterminated string', 'a "b\n', ['f:1:3: unterminated string: missing closing \'"\'']],
    ['tab after a word', 'a\tb\n', ['f:1:2: tab character: indent and separate with spaces']],
    ['siblings at two depths', 'a\n  b\n    c\n   d\n', ['f:4:4: inconsistent indentation: 3 spaces, but the lines above at this level have 4']],
    ['dedent between levels', 'a\n  b\n c\n', ['f:3:2: inconsistent indentation: 1 spaces, but the lines above at this level have 2']],
    ['backslash ending a string', 'a "b\\', ["f:1:5: unknown escape '\\' in string (allowed: \\\" \\\\ \\n \\t)"]],
    ['second string unterminated', 'a "b" "c\n', ['f:1:7: unterminated string: missing closing \'"\'']],
    ['text after a semicolon', 'a\n  local-asn 1; peer-asn 2;\n', ["f:2:16: unexpected text after ';' (a ';' ends the line)"]],
    ['bad escape', 'a "b\\x"\n', ['f:1:5: unknown escape \'\\x\' in string (allowed: \\" \\\\ \\n \\t)']],
  ];
  for (const [name, src, errors] of BAD) {
    it(`rejects: ${name}`, () => expect(parse(src).errors).to.deep.equal(errors));
  }
});
