/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit pseudo-random function, used for
 * DNS server cookies (RFC 9018 §4.4). 64-bit words are kept as two unsigned 32-bit halves, so
 * no BigInt is allocated. Pure.
 */

/** v0..v3 as [hi, lo] pairs: v[0]=v0.hi, v[1]=v0.lo, … */
const v = new Uint32Array(8);

function add(a: number, b: number): void {
  const lo = (v[a + 1] + v[b + 1]) >>> 0;
  v[a] = (v[a] + v[b] + (lo < v[a + 1] ? 1 : 0)) >>> 0;
  v[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  const hi = v[a];
  const lo = v[a + 1];
  if (n === 32) {
    v[a] = lo;
    v[a + 1] = hi;
    return;
  }
  v[a] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
  v[a + 1] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
}

function xor(a: number, b: number): void {
  v[a] ^= v[b];
  v[a + 1] ^= v[b + 1];
}

function sipRound(): void {
  add(0, 2); rotl(2, 13); xor(2, 0); rotl(0, 32);
  add(4, 6); rotl(6, 16); xor(6, 4);
  add(0, 6); rotl(6, 21); xor(6, 0);
  add(4, 2); rotl(2, 17); xor(2, 4); rotl(4, 32);
}

/** Mixes one 64-bit message word (given as halves) into the state. */
function compress(hi: number, lo: number): void {
  v[6] ^= hi;
  v[7] ^= lo;
  sipRound();
  sipRound();
  v[0] ^= hi;
  v[1] ^= lo;
}

/**
 * SipHash-2-4 of `msg` under the 16-byte `key`, written to `out` at `at` as 8 bytes, little
 * endian (as the reference implementation outputs it).
 */
export function siphash24(key: Uint8Array, msg: Uint8Array, out: Uint8Array, at = 0): void {
  if (key.length !== 16) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
  const k0lo = le32(key, 0), k0hi = le32(key, 4), k1lo = le32(key, 8), k1hi = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  v[0] = (k0hi ^ 0x736f6d65) >>> 0; v[1] = (k0lo ^ 0x70736575) >>> 0;
  v[2] = (k1hi ^ 0x646f7261) >>> 0; v[3] = (k1lo ^ 0x6e646f6d) >>> 0;
  v[4] = (k0hi ^ 0x6c796765) >>> 0; v[5] = (k0lo ^ 0x6e657261) >>> 0;
  v[6] = (k1hi ^ 0x74656462) >>> 0; v[7] = (k1lo ^ 0x79746573) >>> 0;
  const full = msg.length - (msg.length % 8);
  for (let i = 0; i < full; i += 8) compress(le32(msg, i + 4), le32(msg, i));
  // The last word: the remaining bytes, and the length (mod 256) in the top byte.
  let lo = 0;
  let hi = (msg.length & 0xff) << 24;
  for (let i = full; i < msg.length; i++) {
    const shift = (i - full) * 8;
    if (shift < 32) lo |= msg[i] << shift;
    else hi |= msg[i] << (shift - 32);
  }
  compress(hi >>> 0, lo >>> 0);
  v[5] ^= 0xff;
  sipRound(); sipRound(); sipRound(); sipRound();
  const rhi = (v[0] ^ v[2] ^ v[4] ^ v[6]) >>> 0;
  const rlo = (v[1] ^ v[3] ^ v[5] ^ v[7]) >>> 0;
  out[at] = rlo; out[at + 1] = rlo >>> 8; out[at + 2] = rlo >>> 16; out[at + 3] = rlo >>> 24;
  out[at + 4] = rhi; out[at + 5] = rhi >>> 8; out[at + 6] = rhi >>> 16; out[at + 7] = rhi >>> 24;
}

function le32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}
