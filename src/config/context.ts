/**
 * Shared state of one load: error list, scopes (the namespace), and references waiting to be
 * resolved once every file is read. Used by the interpreters (`interpret-*.ts`) and `resolve.ts`.
 */
import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import { charPos } from './lexer';
import type { Node, Word } from './lexer';
import { ValueError } from './values';
import type {
  Application, CheckRef, Control, ControlRef, Delivery, DeliveryModel, DynamicWeightRef, List,
  ListEntry, ListRef, MembershipRef, Process, Service, ApplicationRef,
} from './model';

/** Stable error codes of the delivery language. */
export const CONFIG_CODES = {
  KEYWORD: 'E_CONFIG_KEYWORD',
  VALUE: 'E_CONFIG_VALUE',
  MISSING: 'E_CONFIG_MISSING',
  DUPLICATE: 'E_CONFIG_DUPLICATE',
  REF: 'E_CONFIG_REF',
  SYNTAX: 'E_CONFIG_SYNTAX',
} as const;

/** A lexical scope: top level, a delivery, a cluster-pick-service or a service-pick-service. */
export interface Scope {
  /** For messages: 'top level', "delivery 'global'", … */
  label: string;
  parent?: Scope;
  delivery?: Delivery;
  controls: Map<string, Control>;
  lists: Map<string, List>;
  services: Map<string, Service>;
  entries: Map<string, ListEntry>;
}

/** A reference written somewhere, with the scope it is resolved in. */
export type PendingRef =
  | { ref: ControlRef | ListRef | MembershipRef | DynamicWeightRef; scope: Scope }
  | { ref: CheckRef | ApplicationRef; scope: Scope }
  | { ref: { name: string; pos: SourcePos; resolved?: Service | List | ListEntry }; scope: Scope; requires: true };

/** Creates an empty scope. */
export function newScope(label: string, parent?: Scope, delivery?: Delivery): Scope {
  return { label, parent, delivery: delivery ?? parent?.delivery, controls: new Map(), lists: new Map(), services: new Map(), entries: new Map() };
}

function where(p: SourcePos): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** One load's state: errors, warnings, the global namespace and pending references. */
export class LoadContext {
  readonly errors: SourceError[] = [];
  readonly warnings: SourceError[] = [];
  readonly global: Scope = newScope('top level');
  readonly processes = new Map<string, Process>();
  readonly deliveries = new Map<string, Delivery>();
  readonly applications = new Map<string, Application>();
  readonly pending: PendingRef[] = [];
  constructor(readonly model: DeliveryModel) {}

  /** Records an error at `pos`. */
  error(pos: SourcePos, message: string, code: string = CONFIG_CODES.VALUE): void {
    this.errors.push(new SourceError(pos, message, code));
  }

  /** Records a warning at `pos`. */
  warn(pos: SourcePos, message: string, code = 'W_CONFIG'): void {
    this.warnings.push(new SourceError(pos, message, code));
  }

  /** Runs a value parser on a word; a ValueError becomes an error at the exact column. */
  value<T>(w: Word, parse: (text: string) => T): T | undefined {
    try {
      return parse(w.text);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      this.error(charPos(w, e.offset), e.message, CONFIG_CODES.VALUE);
      return undefined;
    }
  }

  /** Adds a named definition to a map, reporting a duplicate with both positions. */
  define<T extends { name: string; pos: SourcePos }>(map: Map<string, T>, what: string, item: T): boolean {
    const prev = map.get(item.name);
    if (prev) {
      this.error(item.pos, `duplicate ${what} '${item.name}' (first defined at ${where(prev.pos)})`, CONFIG_CODES.DUPLICATE);
      return false;
    }
    map.set(item.name, item);
    return true;
  }

  /** Reports a keyword not in `expected`. */
  unknown(node: Node, context: string, expected: string[]): void {
    this.error(node.head.pos, `unknown keyword '${node.head.text}' in '${context}' (expected one of: ${expected.join(', ')})`, CONFIG_CODES.KEYWORD);
  }

  /** Reports indented lines under a line that takes none. */
  noChildren(node: Node): void {
    if (node.children.length > 0) this.error(node.children[0].pos, `'${node.head.text}' takes no indented block`, CONFIG_CODES.SYNTAX);
  }

  /**
   * The value words of `key VALUE…`, `key: VALUE…` or `key:` followed by one indented line.
   * Reports an error and returns undefined when there is no value.
   */
  valueWords(node: Node): Word[] | undefined {
    if (node.args.length > 0) {
      this.noChildren(node);
      return node.args;
    }
    if (node.children.length === 1) {
      const c = node.children[0];
      this.noChildren(c);
      return [c.head, ...c.args];
    }
    if (node.children.length > 1) {
      this.error(node.children[1].pos, `'${node.head.text}' takes one value`, CONFIG_CODES.SYNTAX);
      return undefined;
    }
    this.error(node.head.pos, `'${node.head.text}' needs a value`, CONFIG_CODES.MISSING);
    return undefined;
  }

  /** Exactly one value word (see `valueWords`). */
  oneWord(node: Node): Word | undefined {
    const words = this.valueWords(node);
    if (!words) return undefined;
    if (words.length > 1) {
      this.error(words[1].pos, `unexpected '${words[1].text}': '${node.head.text}' takes one value`, CONFIG_CODES.SYNTAX);
      return undefined;
    }
    return words[0];
  }

  /** Reports extra words after `n` expected ones. */
  extraWords(words: Word[], n: number, what: string): boolean {
    if (words.length <= n) return false;
    this.error(words[n].pos, `unexpected '${words[n].text}' after ${what}`, CONFIG_CODES.SYNTAX);
    return true;
  }
}

/**
 * Dispatches the children of `node` by keyword. Keys not in `repeatable` may appear once.
 * `fallback` may claim a child the table does not know (returns true); otherwise the child is
 * reported as an unknown keyword listing `expected` (default: the table's keys).
 */
export function dispatch(
  ctx: LoadContext,
  children: Node[],
  context: string,
  table: Record<string, (n: Node) => void>,
  opts: { repeatable?: string[]; fallback?: (n: Node) => boolean; expected?: string[] } = {},
): void {
  const seen = new Map<string, Node>();
  for (const child of children) {
    if (child.broken) continue;
    const key = child.head.quoted ? undefined : child.head.text;
    const handler = key !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
    if (!handler || key === undefined) {
      if (opts.fallback && opts.fallback(child)) continue;
      ctx.unknown(child, context, opts.expected ?? Object.keys(table));
      continue;
    }
    const prev = seen.get(key);
    if (prev && !(opts.repeatable ?? []).includes(key)) {
      ctx.error(child.head.pos, `duplicate '${key}' in '${context}' (first at ${where(prev.pos)})`, CONFIG_CODES.DUPLICATE);
      continue;
    }
    seen.set(key, child);
    handler(child);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates a defined name (letters, digits, `-`, `_`, `.`; not quoted). */
export function checkName(ctx: LoadContext, w: Word | undefined, what: string, at: SourcePos): string | undefined {
  if (!w) {
    ctx.error(at, `${what} needs a name`, CONFIG_CODES.MISSING);
    return undefined;
  }
  if (w.quoted || !NAME.test(w.text) || (what !== 'member' && w.text.includes('.'))) {
    ctx.error(w.pos, `bad ${what} name '${w.text}' (letters, digits, '-' and '_')`, CONFIG_CODES.VALUE);
    return undefined;
  }
  return w.text;
}
