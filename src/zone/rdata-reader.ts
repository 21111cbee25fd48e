import { SourceError } from '../util/source-error';
import { EscapeError, decodeOctets } from './escapes';
import type { Token } from './lexer';
import { NameError, parseName, requireOrigin } from './names';
import { ValueError, parseBase64, parseDuration, parseHex, parseUint } from './values';

/**
 * Reads the RDATA fields of one record, token by token, turning every failure into a
 * SourceError at the offending token (or just after the last token when a field is missing).
 */
export class RdataReader {
  private i = 0;

  constructor(
    readonly file: string,
    readonly type: string,
    readonly origin: string | undefined,
    private readonly tokens: Token[],
    /** Where the entry's last token ends, for "missing field" errors. */
    private readonly end: { line: number; col: number },
  ) {}

  /** The next token, failing with "missing <what>" when there is none. */
  next(what: string): Token {
    const t = this.tokens[this.i];
    if (!t) throw this.errorAt(this.end, `${this.type} record is missing its ${what}`);
    this.i++;
    return t;
  }

  /** The next token without consuming it. */
  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** True when tokens remain. */
  more(): boolean {
    return this.i < this.tokens.length;
  }

  /** Fails when tokens remain after the last field. */
  done(): void {
    const t = this.tokens[this.i];
    if (t) throw this.errorAt(t, `unexpected '${t.text}' after the ${this.type} rdata`);
  }

  /** An error at a token or position. */
  errorAt(at: { line: number; col: number }, message: string, code = 'E_ZONE_RDATA'): SourceError {
    return new SourceError({ file: this.file, line: at.line, col: at.col }, message, code);
  }

  /** Runs `fn` on the next token, positioning any value/name/escape error at that token. */
  field<T>(what: string, fn: (text: string, tok: Token) => T): T {
    const t = this.next(what);
    return this.at(t, () => fn(t.text, t));
  }

  /** Runs `fn`, turning a value/name/escape error into a SourceError at `t`. */
  at<T>(t: Token, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ValueError || err instanceof NameError || err instanceof EscapeError) {
        throw this.errorAt(t, err.message, err.code);
      }
      throw err;
    }
  }

  /** A domain name, made absolute against the current origin. */
  name(what: string): string {
    return this.field(what, (s, t) => {
      if (t.quoted) throw new NameError(`${what} must be a domain name, not a quoted string`);
      return parseName(s, requireOrigin(s, this.origin));
    });
  }

  /** A name that dns-packet encodes (SRV, NAPTR): it splits on dots, so no escaped octets. */
  plainName(what: string): string {
    const t = this.peek();
    const n = this.name(what);
    if (n.includes('\\') && t) throw this.errorAt(t, `escaped octets in the ${this.type} ${what} are not supported (host names only)`);
    return n;
  }

  /** A mailbox name (SOA RNAME; its first label often holds an escaped dot, `john\\.doe`). */
  mailbox(what: string): string {
    return this.field(what, (s) => parseName(s, requireOrigin(s, this.origin)));
  }

  /** An unsigned integer of `bits` bits. */
  uint(what: string, bits: 8 | 16 | 32): number {
    return this.field(what, (s) => parseUint(s, `${this.type} ${what}`, bits));
  }

  /** A 32-bit duration that may use BIND units (SOA timers). */
  duration(what: string): number {
    return this.field(what, (s) => parseDuration(s, `${this.type} ${what}`, 2 ** 32 - 1));
  }

  /** RFC 1035 §3.3: a <character-string>, at most 255 octets. */
  charString(what: string): Buffer {
    return this.field(what, (s) => {
      const b = decodeOctets(s);
      if (b.length > 255) throw new ValueError(`${this.type} ${what} is ${b.length} octets long; the limit is 255 (RFC 1035 §3.3)`);
      return b;
    });
  }

  /** A character-string that dns-packet carries as a JS string (HINFO, NAPTR, CAA). */
  text(what: string, limit = 255): string {
    const t = this.tokens[this.i];
    const b = limit === 255 ? this.charString(what) : this.field(what, (s) => decodeOctets(s));
    const s = b.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(b)) {
      throw this.errorAt(t as Token, `${what} must be UTF-8 text (dns-packet carries it as a string)`);
    }
    return s;
  }

  /** All remaining tokens as one run of hex digits (whitespace allowed between them). */
  hexRest(what: string): Buffer {
    const first = this.next(what);
    const toks = [first, ...this.tokens.slice(this.i)];
    this.i = this.tokens.length;
    return this.at(first, () => parseHex(toks.map((t) => t.text).join(''), what));
  }

  /** The remaining tokens, consumed (at least one unless `optional`). */
  rest(what: string, optional = false): Token[] {
    if (!optional && !this.more()) this.next(what);
    const out = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return out;
  }

  /** All remaining tokens as one base64 value (RFC 4648 §4; whitespace allowed between them). */
  base64Rest(what: string): Buffer {
    const toks = this.rest(what);
    const first = toks[0] as Token;
    return this.at(first, () => parseBase64(toks.map((t) => t.text).join(''), what));
  }
}
