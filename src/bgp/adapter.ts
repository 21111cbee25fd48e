import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryModel, Process, ProcessCheck, SecretRef } from '../config/model';
import type { Zone } from '../zone/types';
import { parseHostPort } from '../util/host-port';
import { formatIp, parseIp } from './wire/address';
import { DEFAULTS, neighbor } from './config';
import type { BgpConfig, CheckTarget } from './config';

/** A problem turning the delivery model into announcers (no announcer is built for it). */
export class BgpAdaptError extends Error {
  override readonly name = 'BgpAdaptError';
  readonly code = 'E_BGP_ADAPT';
}

function hostPort(text: string, what: string): { host: string; port: number } {
  try {
    return parseHostPort(text.trim(), { names: true });
  } catch (err) {
    throw new BgpAdaptError(`${what}: ${(err as Error).message}`);
  }
}

/**
 * Reads a TCP-MD5 key from where `password` points: `env:NAME` (environment), `file:PATH`
 * (relative to the working directory) or `credential:NAME` (`$CREDENTIALS_DIRECTORY/NAME`, set
 * by systemd's LoadCredential=). One trailing newline is removed. Errors name the file position.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Buffer {
  const at = `${ref.pos.file}:${ref.pos.line}:${ref.pos.col}`;
  let text: string | undefined;
  if (ref.source === 'env') {
    text = env[ref.name];
    if (text === undefined) throw new BgpAdaptError(`${at}: password env:${ref.name}: the environment variable is not set`);
  } else {
    let path = ref.name;
    if (ref.source === 'credential') {
      const dir = env.CREDENTIALS_DIRECTORY;
      if (!dir) throw new BgpAdaptError(`${at}: password credential:${ref.name}: CREDENTIALS_DIRECTORY is not set (systemd LoadCredential=${ref.name}:PATH provides it)`);
      path = join(dir, ref.name);
    }
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new BgpAdaptError(`${at}: password ${ref.source}:${ref.name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const key = Buffer.from(text.replace(/\r?\n$/, ''), 'utf8');
  if (key.length < 1 || key.length > 80) throw new BgpAdaptError(`${at}: password ${ref.source}:${ref.name}: the key must be 1..80 octets (TCP_MD5SIG), got ${key.length}`);
  return key;
}

/**
 * The DNS process a `check: dns` probes: the process of the same application named like the
 * check block (`dns:`), else the application's first process with a `listen:` address.
 */
export function dnsProcessFor(model: DeliveryModel, owner: Process, check: ProcessCheck): Process | undefined {
  const sameApp = model.processes.filter((p) => p.application === owner.application && p.listen);
  return sameApp.find((p) => p.name === check.name) ?? sameApp[0];
}

function target(model: DeliveryModel, zones: Zone[], owner: Process, check: ProcessCheck): CheckTarget {
  switch (check.kind) {
    case 'dns': {
      const dns = dnsProcessFor(model, owner, check);
      if (!dns?.listen) throw new BgpAdaptError(`process ${owner.name}: check '${check.name}' is a dns check but no process of application '${owner.application}' has a listen: address`);
      // Default question: the SOA of the first served zone (the root when no zone is loaded).
      const name = check.query?.name ?? zones[0]?.origin ?? '.';
      return { kind: 'dns', address: dns.listen.address, port: dns.listen.port ?? 53, name: name === '.' ? '' : name.replace(/\.$/, ''), qtype: check.query?.type ?? 'SOA', tcp: check.tcp };
    }
    case 'http':
      if (!check.target) throw new BgpAdaptError(`process ${owner.name}: http check needs a URL`);
      return { kind: 'http', url: check.target };
    case 'tcp': {
      if (!check.target) throw new BgpAdaptError(`process ${owner.name}: tcp check needs ADDR:PORT`);
      const { host, port } = hostPort(check.target, `process ${owner.name}: tcp check`);
      return { kind: 'tcp', host, port };
    }
    case 'exec':
      if (!check.target) throw new BgpAdaptError(`process ${owner.name}: exec check needs a command`);
      return { kind: 'exec', command: check.target };
  }
}

/**
 * Builds one announcer configuration per process with `bgp: PROCESS.CHECK` and neighbors.
 * Prefixes default to the DNS process's listen address as /128 or /32.
 */
export function bgpConfigsFromModel(model: DeliveryModel, zones: Zone[]): BgpConfig[] {
  const out: BgpConfig[] = [];
  for (const p of model.processes) {
    if (!p.bgp) continue;
    const check = p.bgp.resolved ?? model.processes.find((q) => q.name === p.bgp!.process)?.checks.find((c) => c.name === p.bgp!.check);
    if (!check) throw new BgpAdaptError(`process ${p.name}: bgp: ${p.bgp.process}.${p.bgp.check} does not name a check`);
    if (p.neighbors.length === 0) throw new BgpAdaptError(`process ${p.name}: bgp: needs at least one 'routes neighbor'`);
    let prefixes = p.prefixes.map((b) => b.network);
    if (prefixes.length === 0) {
      const dns = dnsProcessFor(model, p, check);
      if (!dns?.listen) throw new BgpAdaptError(`process ${p.name}: no prefix: and no dns process listen: address to announce`);
      prefixes = [`${formatIp(parseIp(dns.listen.address))}/${dns.listen.family === 6 ? 128 : 32}`];
    }
    out.push({
      name: p.name,
      prefixes,
      check: { target: target(model, zones, p, check), intervalMs: check.intervalMs, timeoutMs: check.timeoutMs, rise: check.rise, fall: check.fall },
      neighbors: p.neighbors.map((n) => neighbor({
        address: formatIp(parseIp(n.address)), port: n.port, localAddress: n.localAddress && formatIp(parseIp(n.localAddress)),
        localAsn: n.localAsn, peerAsn: n.peerAsn, holdTime: n.holdTime, passive: n.passive, routerId: n.routerId,
        communities: [...n.communities], med: n.med,
        md5Key: n.password && resolveSecret(n.password), ttlSecurity: n.ttlSecurity, bfd: n.bfd,
      })),
      drainMs: p.drainMs ?? DEFAULTS.drainMs,
      drainPrepend: DEFAULTS.drainPrepend,
      drainLocalPref: DEFAULTS.drainLocalPref,
    });
  }
  return out;
}
