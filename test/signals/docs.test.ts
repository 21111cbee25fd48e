import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TokenStore } from '../../src/signals/tokens';
import { commandByName } from '../../src/cli/main';
import { parseCommandArgs } from '../../src/cli/command';

const DOC = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'signals.md'), 'utf8');

function block(tag: string): string {
  const m = new RegExp('^```' + tag + '\\n([\\s\\S]*?)^```$', 'm').exec(DOC);
  if (!m) throw new Error(`no \`\`\`${tag} block in docs/signals.md`);
  return m[1]!;
}

describe('docs/signals.md examples', () => {
  it('the tokens file example parses and binds each token', () => {
    const store = TokenStore.parse(block('text tokens'), 'docs/signals.md');
    expect(store.size).to.equal(2);
    expect(store.lookup('3a5f0c1e9b7d4a2f8c6e1b0d9a7f5c3e')).to.deep.equal({ tier: 'datacenter', service: 'my-service', member: 'datacenter-1', block: '2001:db8:ae21:7700::/56' });
  });

  it('the Collector configuration fans logs and metrics out to every DNS node with the token', () => {
    const cfg = parse(block('yaml otelcol')) as any;
    const exporters = Object.keys(cfg.exporters);
    expect(exporters.length).to.be.at.least(2);
    for (const name of exporters) {
      expect(name).to.match(/^otlphttp\//);
      expect(cfg.exporters[name].headers.authorization).to.equal('Bearer ${env:ANYPICK_TOKEN}');
      expect(new URL(cfg.exporters[name].endpoint).protocol, 'tokens only over TLS').to.equal('https:');
      expect(cfg.exporters[name].tls.ca_file).to.be.a('string');
    }
    for (const p of ['logs', 'metrics']) {
      const pipe = cfg.service.pipelines[p];
      expect(pipe.receivers).to.deep.equal(['otlp']);
      expect(pipe.exporters).to.have.members(exporters);
    }
    expect(cfg.receivers.otlp.protocols.http).to.be.an('object');
  });

  it('the indented command lines (serve with TLS, report with --ca) parse against the real CLI', () => {
    // Four-space indented `anypick …` lines, continued with a trailing backslash.
    const cmds = [...DOC.matchAll(/^ {4}(?:ANYPICK_TOKEN=\S+ \\\n {4})?anypick (\w+)((?:[^\n]*\\\n)*[^\n]*)$/gm)];
    const names = cmds.map((m) => m[1]);
    expect(names).to.include.members(['serve', 'report']);
    for (const m of cmds) {
      const args = m[2]!.replace(/\\\n/g, ' ').trim().split(/\s+/).filter(Boolean);
      const cmd = commandByName(m[1]!);
      expect(cmd, m[0]).to.not.equal(undefined);
      expect(() => parseCommandArgs(cmd!, args), m[0]).to.not.throw();
    }
    expect(DOC).to.include('--signals-tls-cert /etc/anypick/tls/signals.crt');
    expect(DOC).to.include('--ca /etc/anypick/tls/ca.crt');
  });
});
