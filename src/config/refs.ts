/**
 * Parses reference words (`control.X`, `list.X`, `membership.S[.TIER]`, `dynamic-weight.S`,
 * `PROCESS.CHECK`, `infra.application.NAME`) into unresolved refs and queues them for `resolve`.
 */
import type { Word } from './lexer';
import { CONFIG_CODES } from './context';
import type { LoadContext, Scope } from './context';
import type {
  ApplicationRef, CheckRef, ControlRef, DynamicWeightRef, ListRef, MembershipRef, Tier,
} from './model';

const ID = '[A-Za-z0-9][A-Za-z0-9_-]*';
const TIERS: Tier[] = ['datacenter', 'cluster', 'service'];

function bad(ctx: LoadContext, w: Word, expected: string): undefined {
  ctx.error(w.pos, `bad reference '${w.text}' (expected ${expected})`, CONFIG_CODES.REF);
  return undefined;
}

/** `control.NAME`. */
export function controlRef(ctx: LoadContext, w: Word, scope: Scope): ControlRef | undefined {
  const m = new RegExp(`^control\\.(${ID})$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'control.NAME');
  const ref: ControlRef = { kind: 'control', text: w.text, pos: w.pos, name: m[1] };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `list.NAME`. */
export function listRef(ctx: LoadContext, w: Word, scope: Scope): ListRef | undefined {
  const m = new RegExp(`^list\\.(${ID})$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'list.NAME');
  const ref: ListRef = { kind: 'list', text: w.text, pos: w.pos, name: m[1] };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `membership.SERVICE[.TIER]`. */
export function membershipRef(ctx: LoadContext, w: Word, scope: Scope): MembershipRef | undefined {
  const m = new RegExp(`^membership\\.(${ID})(?:\\.(${ID}))?$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'membership.SERVICE or membership.SERVICE.TIER');
  let tier: Tier | undefined;
  if (m[2] !== undefined) {
    if (!TIERS.includes(m[2] as Tier)) {
      ctx.error({ ...w.pos, col: w.pos.col + 'membership.'.length + m[1].length + 1 }, `unknown tier '${m[2]}' (expected one of: ${TIERS.join(', ')})`, CONFIG_CODES.REF);
      return undefined;
    }
    tier = m[2] as Tier;
  }
  const ref: MembershipRef = { kind: 'membership', text: w.text, pos: w.pos, service: m[1], tier };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `dynamic-weight.SERVICE`. */
export function dynamicWeightRef(ctx: LoadContext, w: Word, scope: Scope): DynamicWeightRef | undefined {
  const m = new RegExp(`^dynamic-weight\\.(${ID})$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'dynamic-weight.SERVICE');
  const ref: DynamicWeightRef = { kind: 'dynamic-weight', text: w.text, pos: w.pos, service: m[1] };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `PROCESS.CHECK`, e.g. `announce-routes.dns`. */
export function checkRef(ctx: LoadContext, w: Word, scope: Scope): CheckRef | undefined {
  const m = new RegExp(`^(${ID})\\.(${ID})$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'PROCESS.CHECK, e.g. announce-routes.dns');
  const ref: CheckRef = { kind: 'check', text: w.text, pos: w.pos, process: m[1], check: m[2] };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `infra.application.NAME`. */
export function applicationRef(ctx: LoadContext, w: Word, scope: Scope): ApplicationRef | undefined {
  const m = new RegExp(`^infra\\.application\\.(${ID})$`).exec(w.text);
  if (!m || w.quoted) return bad(ctx, w, 'infra.application.NAME');
  const ref: ApplicationRef = { kind: 'application', text: w.text, pos: w.pos, name: m[1] };
  ctx.pending.push({ ref, scope });
  return ref;
}

/** `dynamic from REF` (list entry `weight:` / `members:`) → the REF word, or an error. */
export function dynamicFrom(ctx: LoadContext, words: Word[], what: string): Word | undefined {
  if (words.length !== 3 || words[0].text !== 'dynamic' || words[1].text !== 'from') {
    ctx.error(words[0].pos, `bad ${what} '${words.map((w) => w.text).join(' ')}' (expected 'dynamic from ${what === 'weight' ? 'dynamic-weight.SERVICE' : 'membership.SERVICE'}')`, CONFIG_CODES.SYNTAX);
    return undefined;
  }
  return words[2];
}
