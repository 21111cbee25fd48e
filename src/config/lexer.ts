/**
 * Lexer and indentation tree of the delivery language: text → generic nodes whose words each
 * carry file:line:col. Knows nothing about keywords; see `./interpret` for the schema.
 */
import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';

/** One word of a line. */
export interface Word {
  /** The text, with quotes removed and escapes applied for quoted words. */
  text: string;
  /** Written as a `"…"` string. */
  quoted: boolean;
  /** A trailing `:` was written (and removed from `text`). */
  colon: boolean;
  pos: SourcePos;
  /** For quoted words without escapes: column of each character of `text` is `pos.col + 1 + i`. */
  verbatim: boolean;
}

/** One line of the file with the lines indented under it. */
export interface Node {
  /** The first word (the keyword or name). */
  head: Word;
  /** The other words. */
  args: Word[];
  /** A trailing `;` terminated the line. */
  semicolon: boolean;
  /** The line had a lexical error (already reported): interpreters skip it and its block. */
  broken: boolean;
  indent: number;
  children: Node[];
  pos: SourcePos;
}

/** Lexer errors share these codes. */
export const LEX_CODES = {
  TAB: 'E_CONFIG_TAB',
  INDENT: 'E_CONFIG_INDENT',
  QUOTE: 'E_CONFIG_QUOTE',
  SYNTAX: 'E_CONFIG_SYNTAX',
} as const;

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/** Splits one line (without its indentation) into words; `#` starts a comment outside quotes. */
function lexLine(file: string, line: number, text: string, start: number, errors: SourceError[]): { words: Word[]; semicolon: boolean; broken: boolean } {
  const words: Word[] = [];
  const before = errors.length;
  let i = start;
  let semicolon = false;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ') { i++; continue; }
    if (ch === '\t') {
      errors.push(new SourceError({ file, line, col: i + 1 }, 'tab character: indent and separate with spaces', LEX_CODES.TAB));
      i++;
      continue;
    }
    if (ch === '#') break;
    const pos = { file, line, col: i + 1 };
    if (semicolon) {
      errors.push(new SourceError(pos, `unexpected text after ';' (a ';' ends the line)`, LEX_CODES.SYNTAX));
      return { words, semicolon, broken: true };
    }
    if (ch === '"') {
      let value = '';
      let verbatim = true;
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const c = text[j];
        if (c === '"') { closed = true; j++; break; }
        if (c === '\\') {
          const e = ESCAPES[text[j + 1] ?? ''];
          if (e === undefined) {
            errors.push(new SourceError({ file, line, col: j + 1 }, `unknown escape '\\${text[j + 1] ?? ''}' in string (allowed: \\" \\\\ \\n \\t)`, LEX_CODES.QUOTE));
            return { words, semicolon, broken: true };
          }
          value += e;
          verbatim = false;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      if (!closed) {
        errors.push(new SourceError(pos, 'unterminated string: missing closing \'"\'', LEX_CODES.QUOTE));
        return { words: words.length ? words : [{ text: '', quoted: true, colon: false, pos, verbatim: false }], semicolon, broken: true };
      }
      let colon = false;
      if (text[j] === ':') { colon = true; j++; }
      if (text[j] === ';') { semicolon = true; j++; }
      words.push({ text: value, quoted: true, colon, pos, verbatim });
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t' && text[j] !== '"' && text[j] !== '#') j++;
    let raw = text.slice(i, j);
    i = j;
    if (raw.endsWith(';')) { semicolon = true; raw = raw.slice(0, -1); }
    if (raw === '') continue;
    // A trailing ':' marks a keyword, unless the word has other colons (an IPv6 address like 2001:db8::).
    let colon = false;
    if (raw.endsWith(':') && raw.indexOf(':') === raw.length - 1 && raw.length > 1) {
      colon = true;
      raw = raw.slice(0, -1);
    }
    words.push({ text: raw, quoted: false, colon, pos, verbatim: true });
  }
  return { words, semicolon, broken: errors.length > before };
}

/**
 * Parses a delivery file into its indentation tree. Errors (tabs, unterminated strings, bad
 * indentation) are appended to `errors`; the tree holds every line that could be read.
 */
export function parseTree(file: string, source: string, errors: SourceError[]): Node[] {
  const roots: Node[] = [];
  // Stack of open nodes; a line's parent is the nearest node with a smaller indent.
  const stack: Node[] = [];
  const lines = source.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const text = lines[n];
    const line = n + 1;
    let indent = 0;
    while (indent < text.length && text[indent] === ' ') indent++;
    if (text[indent] === '\t') {
      errors.push(new SourceError({ file, line, col: indent + 1 }, 'tab character in indentation: indent with spaces', LEX_CODES.TAB));
      continue;
    }
    const { words, semicolon, broken } = lexLine(file, line, text, indent, errors);
    if (words.length === 0) continue;
    const node: Node = { head: words[0], args: words.slice(1), semicolon, broken, indent, children: [], pos: words[0].pos };
    while (stack.length > 0 && stack[stack.length - 1].indent > indent) stack.pop();
    const top = stack[stack.length - 1];
    if (top && top.indent === indent) {
      stack.pop();
      const parent = stack[stack.length - 1];
      (parent ? parent.children : roots).push(node);
    } else if (top) {
      // Deeper than `top`: a child — unless `top` already has children at another depth.
      const sib = top.children[0];
      if (sib && sib.indent !== indent) {
        errors.push(new SourceError(node.pos, `inconsistent indentation: ${indent} spaces, but the lines above at this level have ${sib.indent}`, LEX_CODES.INDENT));
        continue;
      }
      top.children.push(node);
    } else {
      if (roots.length > 0 && indent !== roots[0].indent) {
        errors.push(new SourceError(node.pos, `inconsistent indentation: ${indent} spaces, but the top level has ${roots[0].indent}`, LEX_CODES.INDENT));
        continue;
      }
      if (roots.length === 0 && indent !== 0) {
        errors.push(new SourceError(node.pos, `unexpected indentation: a top-level line must start in column 1`, LEX_CODES.INDENT));
        continue;
      }
      roots.push(node);
    }
    stack.push(node);
  }
  return roots;
}

/** Position of character `i` of a word's text (exact for unquoted and escape-free quoted words). */
export function charPos(w: Word, i: number): SourcePos {
  if (!w.verbatim) return w.pos;
  return { file: w.pos.file, line: w.pos.line, col: w.pos.col + (w.quoted ? 1 : 0) + i };
}
