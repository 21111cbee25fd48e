import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIpAddress } from '../util/ip';
import { TIERS } from './signal';
import type { MemberId, Tier } from './signal';

/** The member a bearer token may report for, and optionally the block its address must be in. */
export interface TokenBinding extends MemberId {
  block?: string;
}

/** A tokens file or ANYPICK_TOKENS value that cannot be read or parsed. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  readonly code = 'E_TOKENS';
}

/** Shortest token accepted: 16 characters, so a token cannot be guessed by brute force. */
export const MIN_TOKEN_LENGTH = 16;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Parses `ADDR/LEN` into a block, or undefined when malformed. */
export function parseBlock(text: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const fam = isIpAddress(m[1]!);
  const prefix = Number(m[2]);
  if (fam === 0 || prefix > (fam === 4 ? 32 : 128)) return undefined;
  return { address: m[1]!, prefix, family: fam as 4 | 6 };
}

/**
 * Bearer tokens bound to members. Format (docs/signals.md), one token a line, `#` comments:
 *
 *     TOKEN TIER SERVICE MEMBER [BLOCK]
 *
 * Lookup compares SHA-256 digests with crypto.timingSafeEqual against every entry, so the time
 * taken does not depend on how much of a guess matched.
 */
export class TokenStore {
  private entries: Array<{ hash: Buffer; binding: TokenBinding }> = [];

  /** Parses tokens text; `source` names the origin in error messages. */
  static parse(text: string, source: string): TokenStore {
    const store = new TokenStore();
    const seen = new Set<string>();
    text.split(/\r?\n|;/).forEach((raw, i) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      const where = `${source}:${i + 1}`;
      const f = line.split(/\s+/);
      if (f.length < 4 || f.length > 5) throw new TokenFileError(`${where}: want 'TOKEN TIER SERVICE MEMBER [BLOCK]', got ${f.length} fields`);
      const [token, tier, service, member, block] = f as [string, string, string, string, string | undefined];
      if (token.length < MIN_TOKEN_LENGTH) throw new TokenFileError(`${where}: token shorter than ${MIN_TOKEN_LENGTH} characters`);
      if (!(TIERS as readonly string[]).includes(tier)) throw new TokenFileError(`${where}: tier '${tier}' is not one of ${TIERS.join(', ')}`);
      if (block !== undefined && !parseBlock(block)) throw new TokenFileError(`${where}: '${block}' is not an address block ADDR/LEN`);
      if (seen.has(token)) throw new TokenFileError(`${where}: duplicate token`);
      seen.add(token);
      const binding: TokenBinding = { tier: tier as Tier, service, member };
      if (block !== undefined) binding.block = block;
      store.entries.push({ hash: digest(token), binding });
    });
    return store;
  }

  /** Loads from `--tokens FILE`, else from env ANYPICK_TOKENS; undefined when neither is set. */
  static load(file: string | undefined, env: NodeJS.ProcessEnv = process.env): TokenStore | undefined {
    if (file) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new TokenFileError(`cannot read tokens file ${file}: ${(err as Error).message}`, { cause: err });
      }
      return TokenStore.parse(text, file);
    }
    if (env.ANYPICK_TOKENS) return TokenStore.parse(env.ANYPICK_TOKENS, 'ANYPICK_TOKENS');
    return undefined;
  }

  /**
   * Takes over the tokens of `next` (a rotation): lookups from now on see only the new set.
   * Overlapping old and new tokens are simply both listed in the new file.
   */
  replaceWith(next: TokenStore): void {
    this.entries = [...next.entries];
  }

  /** Number of tokens. */
  get size(): number {
    return this.entries.length;
  }

  /** The binding of a presented token, or undefined. Constant time in the token's content. */
  lookup(presented: string): TokenBinding | undefined {
    const h = digest(presented);
    let found: TokenBinding | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.hash, h)) found = e.binding;
    }
    return found;
  }
}

/** Extracts the token of an `Authorization: Bearer TOKEN` header (RFC 6750 §2.1). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
