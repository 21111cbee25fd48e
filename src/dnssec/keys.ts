/**
 * DNSSEC key files as BIND's `dnssec-keygen` writes them: `K<zone>.+<alg>+<tag>.key` (the DNSKEY
 * record, timing metadata in comments) and `.private` (`Private-key-format: v1.3`, the private
 * key, the same timing fields). ECDSAP256SHA256 (13) and ED25519 (15), RFC 6605 and RFC 8080.
 * Pure apart from reading the directory it is given.
 */
import { createECDH, createHash, createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nameToWire } from '../rrtype/wire';

/** Algorithms anypick signs with. */
export const ALGORITHMS = { 13: 'ECDSAP256SHA256', 15: 'ED25519' } as const;
export type Algorithm = keyof typeof ALGORITHMS;

/** RFC 4034 §2.1.1: bit 7 Zone Key (256), bit 15 Secure Entry Point (1); RFC 5011 REVOKE (128). */
export const FLAG_ZONE = 0x100;
export const FLAG_SEP = 0x001;
export const FLAG_REVOKE = 0x080;

/** A key file that cannot be used; `file` is the one at fault. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
  readonly code = 'E_DNSSEC_KEY';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** The RFC 7583 / BIND timing fields, seconds since the epoch; absent = not set. */
export interface KeyTiming {
  created?: number;
  publish?: number;
  activate?: number;
  inactive?: number;
  delete?: number;
  syncPublish?: number;
  syncDelete?: number;
}

/** One key pair. */
export interface ZoneKey {
  zone: string;
  /** `Kexample.com.+013+05640` */
  base: string;
  algorithm: Algorithm;
  flags: number;
  tag: number;
  /** DNSKEY RDATA: flags, protocol 3, algorithm, public key. */
  dnskey: Buffer;
  /** The DNSKEY TTL from the .key file, if it gave one. */
  ttl?: number;
  timing: KeyTiming;
  /** Signs the octets (ECDSA as r||s, RFC 6605 §4; Ed25519 RFC 8080 §4). */
  sign(data: Buffer): Buffer;
}

/** RFC 4034 Appendix B: the key tag of DNSKEY RDATA. */
export function keyTag(rdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** RFC 4509: the DS RDATA (digest type 2, SHA-256) of a DNSKEY of `zone`. */
export function dsRdata(zone: string, dnskey: Buffer): Buffer {
  const digest = createHash('sha256').update(lowerName(nameToWire(zone))).update(dnskey).digest();
  const head = Buffer.alloc(4);
  head.writeUInt16BE(keyTag(dnskey), 0);
  head[2] = dnskey[3]!;
  head[3] = 2;
  return Buffer.concat([head, digest]);
}

/** ASCII upper case to lower case in the labels of a wire name (RFC 4034 §6.2). */
export function lowerName(wire: Buffer): Buffer {
  const out = Buffer.from(wire);
  for (let i = 0; i < out.length && out[i] !== 0; ) {
    const len = out[i]!;
    for (let j = i + 1; j <= i + len; j++) if (out[j]! >= 0x41 && out[j]! <= 0x5a) out[j]! += 0x20;
    i += len + 1;
  }
  return out;
}

/** `YYYYMMDDHHMMSS` (UTC) → seconds since the epoch. */
function keyTime(text: string, file: string, field: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(text.trim());
  if (!m) throw new KeyError(file, `${field}: '${text.trim()}' is not YYYYMMDDHHMMSS`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

const TIMING_FIELDS: Record<string, keyof KeyTiming> = {
  Created: 'created', Publish: 'publish', Activate: 'activate', Inactive: 'inactive', Delete: 'delete', SyncPublish: 'syncPublish', SyncDelete: 'syncDelete',
};

/** The `Field: value` lines of a .private file. */
function privateFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

const b64url = (b: Buffer): string => b.toString('base64url');

/** The node:crypto private key of a key pair, checked against the DNSKEY's public key. */
function privateKey(alg: Algorithm, secret: Buffer, pub: Buffer, file: string): KeyObject {
  let key: KeyObject;
  let derived: Buffer;
  try {
    if (alg === 13) {
      // The private scalar is an integer: BIND writes it without leading zero octets (1 key in 256 has 31).
      if (secret.length < 32 && secret.length > 0) secret = Buffer.concat([Buffer.alloc(32 - secret.length), secret]);
      if (secret.length !== 32 || pub.length !== 64) throw new Error('ECDSAP256SHA256 needs a 32-octet private key and a 64-octet public key');
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(secret);
      derived = ecdh.getPublicKey().subarray(1); // 0x04 || x || y
      key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(secret), x: b64url(derived.subarray(0, 32)), y: b64url(derived.subarray(32)) }, format: 'jwk' });
    } else {
      if (secret.length !== 32 || pub.length !== 32) throw new Error('ED25519 needs a 32-octet private key and a 32-octet public key');
      // PKCS #8 of an Ed25519 seed alone (RFC 8410 §7): the public key is derived from it.
      key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secret]), format: 'der', type: 'pkcs8' });
      derived = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url');
    }
  } catch (err) {
    throw new KeyError(file, `the private key is unusable: ${(err as Error).message}`);
  }
  // A .private file that does not belong to its .key: the public key derived from it differs.
  if (!derived.equals(pub)) throw new KeyError(file, 'the private key does not match the public key of its .key file');
  return key;
}

/** Reads one key pair from `<base>.key` and `<base>.private` in `dir`. */
export function readKeyPair(dir: string, base: string, zone: string): ZoneKey {
  const keyFile = join(dir, `${base}.key`);
  const privFile = join(dir, `${base}.private`);
  let keyText: string, privText: string;
  try {
    keyText = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new KeyError(keyFile, `cannot read: ${(err as Error).message}`);
  }
  try {
    privText = readFileSync(privFile, 'utf8');
  } catch (err) {
    throw new KeyError(privFile, `cannot read: ${(err as Error).message}`);
  }
  const line = keyText.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith(';'));
  const m = line && /^(\S+)\s+(?:(\d+)\s+)?(?:IN\s+)?DNSKEY\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$/i.exec(line.trim());
  if (!m) throw new KeyError(keyFile, 'no DNSKEY record in the key file');
  const owner = m[1]!.replace(/\.$/, '').toLowerCase();
  if (owner !== zone) throw new KeyError(keyFile, `the key is for ${owner || '.'}, not for zone ${zone || '.'}`);
  const flags = Number(m[3]);
  const protocol = Number(m[4]);
  const algNum = Number(m[5]);
  if (protocol !== 3) throw new KeyError(keyFile, `DNSKEY protocol ${protocol} must be 3 (RFC 4034 §2.1.2)`);
  if (!(flags & FLAG_ZONE)) throw new KeyError(keyFile, `DNSKEY flags ${flags} lack the Zone Key bit (256)`);
  if (algNum !== 13 && algNum !== 15) throw new KeyError(keyFile, `algorithm ${algNum} is not supported (13 ECDSAP256SHA256, 15 ED25519)`);
  const alg = algNum as Algorithm;
  const pub = Buffer.from(m[6]!.replace(/\s+/g, ''), 'base64');
  const dnskey = Buffer.concat([Buffer.from([flags >> 8, flags & 0xff, 3, alg]), pub]);
  const fields = privateFields(privText);
  const fmt = fields.get('Private-key-format');
  if (!fmt || !/^v1\.[2-9]$/.test(fmt)) throw new KeyError(privFile, `Private-key-format '${fmt ?? ''}' is not v1.2 or later`);
  const privAlg = Number((fields.get('Algorithm') ?? '').split(/\s/)[0]);
  if (privAlg !== alg) throw new KeyError(privFile, `Algorithm ${privAlg} does not match the .key file's ${alg}`);
  const secretB64 = fields.get('PrivateKey');
  if (!secretB64) throw new KeyError(privFile, 'no PrivateKey field');
  const key = privateKey(alg, Buffer.from(secretB64, 'base64'), pub, privFile);
  const timing: KeyTiming = {};
  for (const [field, name] of Object.entries(TIMING_FIELDS)) {
    const v = fields.get(field);
    if (v !== undefined && v !== '') timing[name] = keyTime(v, privFile, field);
  }
  const tag = keyTag(dnskey);
  const fileTag = Number(/\+(\d+)$/.exec(base)?.[1]);
  // BIND names the file by the tag without REVOKE; a revoked key's tag differs (RFC 5011 §7).
  if (!(flags & FLAG_REVOKE) && fileTag !== tag) throw new KeyError(keyFile, `the file name says key tag ${fileTag}, the key's tag is ${tag}`);
  const sign = alg === 13 ? (d: Buffer): Buffer => cryptoSign('sha256', d, { key, dsaEncoding: 'ieee-p1363' }) : (d: Buffer): Buffer => cryptoSign(null, d, key);
  return { zone, base, algorithm: alg, flags, tag, dnskey, ...(m[2] ? { ttl: Number(m[2]) } : {}), timing, sign };
}

/** Every `K<zone>.+NNN+NNNNN.key` in `dir` for `zone` (lower-case, no trailing dot). */
export function readKeyDir(dir: string, zone: string): ZoneKey[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new KeyError(dir, `cannot read the key directory: ${(err as Error).message}`);
  }
  const prefix = `K${zone}.+`.toLowerCase();
  const bases = names.filter((n) => n.toLowerCase().startsWith(prefix) && /\+\d{3}\+\d{5}\.key$/.test(n)).map((n) => n.slice(0, -4)).sort();
  if (bases.length === 0) throw new KeyError(dir, `no key files K${zone}.+NNN+NNNNN.key for zone ${zone || '.'}`);
  return bases.map((b) => readKeyPair(dir, b, zone));
}

/** What a key does at time `now` (seconds), from its timing fields (RFC 7583 §3). */
export interface KeyState {
  /** In the DNSKEY RRset. */
  published: boolean;
  /** Makes signatures. */
  active: boolean;
  /** CDS/CDNSKEY published for it (a SEP key between SyncPublish and SyncDelete). */
  sync: boolean;
}

export function keyState(k: ZoneKey, now: number): KeyState {
  const t = k.timing;
  const reached = (v: number | undefined): boolean => v !== undefined && v <= now;
  // A key file without any timing (made by hand) is published and active.
  const timed = t.publish !== undefined || t.activate !== undefined;
  const deleted = reached(t.delete);
  const active = !deleted && (timed ? reached(t.activate) : true) && !reached(t.inactive);
  const published = !deleted && (active || (timed ? reached(t.publish) || reached(t.activate) : true));
  const sync = published && (k.flags & FLAG_SEP) !== 0 && reached(t.syncPublish) && !reached(t.syncDelete);
  return { published, active, sync };
}
