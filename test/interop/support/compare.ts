/**
 * Compares two DNS replies section by section, as the differential test needs: header bits
 * and RCODE, the question as sent back (letter case too), each section as a set of records
 * (owner case-folded; RDATA decoded by dns-packet, unknown types as octets), the OPT's
 * presence, DO bit and EDE codes. Truncated replies are compared by header only (RFC 2181 §9
 * leaves their content to the server).
 */
import * as dnsPacket from 'dns-packet';

/** One difference: which part and both sides' values. */
export interface Difference {
  part: string;
  ours: string;
  theirs: string;
}

type Rr = { name: string; type: string; ttl?: number; class?: string; data?: unknown; flags?: number; options?: { code: number; data?: Buffer }[]; extendedRcode?: number };

const show = (r: Rr): string => `${r.name.toLowerCase()} ${r.ttl} ${r.type} ${JSON.stringify(r.data, (_k, v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v))}`;

/** The parts of a reply that are compared. */
export function summarise(b: Buffer): Record<string, string> {
  const m = dnsPacket.decode(b) as unknown as { flags: number; questions: { name: string; type: string }[]; answers: Rr[]; authorities: Rr[]; additionals: Rr[] };
  const opt = m.additionals.find((r) => r.type === 'OPT');
  const ext = opt ? ((opt as unknown as { extendedRcode?: number }).extendedRcode ?? 0) : 0;
  const out: Record<string, string> = {
    rcode: String(((ext & 0xff) << 4) | (m.flags & 0x0f)),
    aa: String((m.flags >> 10) & 1),
    tc: String((m.flags >> 9) & 1),
    rd: String((m.flags >> 8) & 1),
    ra: String((m.flags >> 7) & 1),
    question: b.subarray(12, 12 + questionLength(b)).toString('hex'),
    opt: opt ? `do=${((opt.flags ?? 0) & 0x8000) !== 0}` : 'none',
    ede: opt ? (opt.options ?? []).filter((o) => o.code === 15).map((o) => (o.data as Buffer).readUInt16BE(0)).join(',') : '',
  };
  if (out.tc === '1') return out;
  out.answer = m.answers.map(show).sort().join(' | ');
  out.authority = m.authorities.map(show).sort().join(' | ');
  out.additional = m.additionals.filter((r) => r.type !== 'OPT').map(show).sort().join(' | ');
  return out;
}

function questionLength(b: Buffer): number {
  if (b.readUInt16BE(4) === 0) return 0;
  let i = 12;
  while (i < b.length && b[i] !== 0) i += (b[i] as number) + 1;
  return i + 5 - 12;
}

/** The parts in which two replies differ. */
export function compareReplies(ours: Buffer, theirs: Buffer): Difference[] {
  const a = summarise(ours);
  const b = summarise(theirs);
  const diffs: Difference[] = [];
  for (const part of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[part] !== b[part]) diffs.push({ part, ours: a[part] ?? '(not compared)', theirs: b[part] ?? '(not compared)' });
  }
  return diffs;
}
