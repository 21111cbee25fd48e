import { SourceError } from '../util/source-error';

/** One word of a master file, with its escapes still in place (`\.`, `\"`, `\065`). */
export interface Token {
  /** The raw text between delimiters, quotes removed, backslash escapes kept. */
  text: string;
  /** Written inside double quotes. */
  quoted: boolean;
  line: number;
  col: number;
}

/** One logical entry: a line, or several lines joined by parentheses (RFC 1035 §5.1). */
export interface Entry {
  /** The entry began with whitespace: its owner is the previous owner. */
  blankOwner: boolean;
  tokens: Token[];
  line: number;
}

/** What the lexer found: the entries, plus the syntax errors of lines it had to drop. */
export interface LexResult {
  entries: Entry[];
  errors: SourceError[];
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r';

/**
 * Splits master-file text into entries (RFC 1035 §5.1): whitespace-separated tokens,
 * `;` comments, `"…"` strings with backslash escapes, and `( … )` joining lines.
 * An entry with a syntax error is dropped and reported; lexing goes on with the next line.
 */
export function lex(text: string, file: string): LexResult {
  const entries: Entry[] = [];
  const errors: SourceError[] = [];
  const lines = text.split('\n');
  let cur: Entry | null = null;
  let openParen: { line: number; col: number } | null = null;
  let broken = false;

  const fail = (line: number, col: number, msg: string): void => {
    errors.push(new SourceError({ file, line, col }, msg, 'E_ZONE_SYNTAX'));
    broken = true;
  };
  const finish = (): void => {
    if (cur && !broken && cur.tokens.length > 0) entries.push(cur);
    cur = null;
    broken = false;
  };

  for (let li = 0; li < lines.length; li++) {
    const s = lines[li] ?? '';
    const line = li + 1;
    if (!openParen) {
      finish();
      cur = { blankOwner: s.length > 0 && isSpace(s[0] ?? ''), tokens: [], line };
    }
    const entry: Entry = cur ?? { blankOwner: false, tokens: [], line };
    cur = entry;
    let i = 0;
    while (i < s.length) {
      const c = s[i] ?? '';
      if (isSpace(c)) {
        i++;
      } else if (c === ';') {
        break;
      } else if (c === '(') {
        if (openParen) fail(line, i + 1, "nested '(' (parentheses do not nest)");
        else openParen = { line, col: i + 1 };
        i++;
      } else if (c === ')') {
        if (!openParen) fail(line, i + 1, "')' without a matching '('");
        openParen = null;
        i++;
      } else if (c === '"') {
        const start = i;
        let out = '';
        i++;
        let closed = false;
        while (i < s.length) {
          const q = s[i] ?? '';
          if (q === '\\' && i + 1 < s.length) {
            out += q + (s[i + 1] ?? '');
            i += 2;
          } else if (q === '"') {
            closed = true;
            i++;
            break;
          } else {
            out += q;
            i++;
          }
        }
        if (!closed) {
          fail(line, start + 1, 'unterminated quoted string');
          break;
        }
        entry.tokens.push({ text: out, quoted: true, line, col: start + 1 });
      } else {
        const start = i;
        let out = '';
        while (i < s.length) {
          const q = s[i] ?? '';
          if (q === '\\' && i + 1 < s.length) {
            out += q + (s[i + 1] ?? '');
            i += 2;
            continue;
          }
          if (isSpace(q) || q === ';' || q === '(' || q === ')' || q === '"') break;
          out += q;
          i++;
        }
        entry.tokens.push({ text: out, quoted: false, line, col: start + 1 });
      }
    }
  }
  if (openParen) {
    const p: { line: number; col: number } = openParen;
    fail(p.line, p.col, "'(' is never closed");
  }
  finish();
  return { entries, errors };
}
