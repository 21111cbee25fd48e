/**
 * The examples of docs/operations.md, read the way the config and zone tests read theirs: fenced
 * code blocks with an info string (` ```env /etc/default/anypick `, ` ```sh `, ` ```yaml ci `…).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile, splitWords } from './unit-file';

/** Path of the operations guide. */
export const OPERATIONS_DOC = join(__dirname, '..', '..', '..', 'docs', 'operations.md');

/** One fenced block: info string words, text, line of the opening fence. */
export interface DocBlock {
  info: string[];
  text: string;
  line: number;
}

/** Every fenced code block of `md`. */
export function fencedBlocks(md: string): DocBlock[] {
  const out: DocBlock[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(md)) !== null) {
    out.push({ info: m[1].trim().split(/\s+/).filter((w) => w !== ''), text: m[2], line: md.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** The blocks of docs/operations.md. */
export function docBlocks(): DocBlock[] {
  return fencedBlocks(readFileSync(OPERATIONS_DOC, 'utf8'));
}

/** Sample environment files shown in the doc (` ```env PATH `), by path. */
export function docEnvFiles(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const b of docBlocks()) {
    if (b.info[0] !== 'env') continue;
    if (!b.info[1]) throw new Error(`docs/operations.md:${b.line}: an env block needs its path: \`\`\`env /etc/default/NAME`);
    out.set(b.info[1], parseEnvFile(b.text, `docs/operations.md:${b.line}`));
  }
  return out;
}

/** One `anypick …` command found in the doc, with where it was found. */
export interface DocCommand {
  argv: string[];
  where: string;
}

/**
 * The `anypick …` command lines of a shell text: joins backslash continuations, drops comments,
 * splits at `&&`, `;` and `|`, removes leading `VAR=value` assignments and `sudo`, and keeps the
 * words after `anypick` up to a redirection.
 */
export function anypickCommands(text: string, where: string): DocCommand[] {
  const out: DocCommand[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    for (const part of line.split(/&&|\|\||;|\|/)) {
      const words = splitWords(part.trim());
      while (words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || ['sudo', 'exec', 'do', 'then', 'else', 'until', 'while', 'if', '!'].includes(words[0]))) words.shift();
      if (words[0] !== 'anypick' && words[0] !== 'bin/anypick' && words[0] !== './bin/anypick') continue;
      const end = words.findIndex((w) => /^[0-9]?[<>]/.test(w));
      out.push({ argv: words.slice(1, end < 0 ? undefined : end), where });
    }
  }
  return out;
}
