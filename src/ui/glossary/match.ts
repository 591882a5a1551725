/**
 * Finding glossary terms in a text: whole words (no letter, digit or `_`
 * on either side, so `sp` is found in "sp 5" but not in `spte` or
 * `kvm_mmu_sp`), longest spelling first (`CR0.WP` before `WP`,
 * `!nxe` before `nxe`), and kvmmmu role notations as one piece whose fields
 * are decoded separately. Each term is marked once per text (its first
 * occurrence), so a line does not become a row of tab stops. Pure.
 */
import { NOTATION_RE } from './role-notation.ts';
import { TERMS } from './terms.ts';

export type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'term'; readonly text: string; readonly id: string }
  | { readonly kind: 'notation'; readonly text: string };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Spelling -> term id (the first term listing a spelling wins; terms.test checks there are no clashes). */
export const SPELLINGS: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const t of TERMS) for (const s of t.match) if (!m.has(s)) m.set(s, t.id);
  return m;
})();

const PATTERN = new RegExp(
  `(?<![\\w])(?:(${NOTATION_RE.source})|(${[...SPELLINGS.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|')}))(?![\\w])`,
  'g',
);

const cache = new Map<string, readonly Segment[]>();
const CACHE_MAX = 4000;

/** The text cut into plain runs, marked terms and role notations (memoized per text). */
export function segmentsOf(text: string): readonly Segment[] {
  const hit = cache.get(text);
  if (hit) return hit;
  const out: Segment[] = [];
  const seen = new Set<string>();
  let last = 0;
  const plain = (to: number) => {
    if (to > last) out.push({ kind: 'text', text: text.slice(last, to) });
  };
  for (const m of text.matchAll(PATTERN)) {
    const at = m.index;
    if (m[1] !== undefined) {
      plain(at);
      out.push({ kind: 'notation', text: m[1] });
      last = at + m[0].length;
      continue;
    }
    const id = SPELLINGS.get(m[2]!)!;
    if (seen.has(id)) continue;
    seen.add(id);
    plain(at);
    out.push({ kind: 'term', text: m[2]!, id });
    last = at + m[0].length;
  }
  plain(text.length);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(text, out);
  return out;
}
