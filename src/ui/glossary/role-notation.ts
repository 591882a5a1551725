/**
 * The kvmmmu role notation (`roleNotation` in src/core/mmu/role.ts, after
 * mmutrace.h KVM_MMU_PAGE_PRINTK), e.g. `gfn 4 l1 4-byte q1 w-x !nxe`,
 * decoded field by field in plain words. Pure: text in, fields out.
 *
 * A field's meaning depends on the others (a quadrant means one half of a
 * guest page table at level 1, one quarter of a guest page directory at
 * level 2, nothing for 8-byte guest tables), so the whole notation is read
 * before any field is explained.
 */
import { hex } from '../../core/index.ts';

/** One piece of a notation: a field (with its glossary term and its meaning here) or the space between. */
export type NotationPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly text: string; readonly term: string; readonly meaning: string };

/** A notation inside running text: optional `gfn X`, level, entry size, quadrant, then the optional fields in their printed order. */
export const NOTATION_RE = /(?:gfn [0-9a-f]+ )?l[1-5] [48]-byte q[0-3](?: direct)?(?: [w-][u-][x-])?(?: invalid)?(?: unsync)?(?: !?nxe)?/;

const LEVEL_NAME: Record<number, string> = {
  1: 'a page table (PT): its entries map 4 KiB pages',
  2: 'a page directory (PD): its entries point to page tables or map large pages',
  3: 'a page-directory-pointer table (PDPT)',
  4: 'a PML4, the top table of a 64-bit guest',
  5: 'a PML5',
};

const ORDINAL = ['first', 'second', 'third', 'fourth'];

/** What `q<q>` means for a page of this level and entry size. */
export function quadrantMeaning(q: number, level: number, eightByte: boolean, direct: boolean): string {
  const head = `q${q} = quadrant ${q}`;
  if (direct)
    return q === 0
      ? `${head}: a direct page shadows no guest table, so there is no part of one to pick`
      : `${head} on a direct page: it shadows no guest table, so the quadrant picks no part of one; it only makes this a different page from the quadrant-0 one for the same gfn (a rule-set difference: see Compare)`;
  if (eightByte) return `${head}: the guest table has 8-byte entries, 512 like the shadow page, so one shadow page covers all of it and the quadrant is always 0`;
  if (level === 1) {
    const from = q * 512;
    return `${head}: the ${q === 0 ? 'lower' : 'upper'} half of the guest page table (guest PTEs ${from}-${from + 511}, 2 MiB of its 4 MiB)`;
  }
  if (level === 2) {
    const from = q * 256;
    return `${head}: the ${ORDINAL[q]} quarter of the guest page directory (guest PDEs ${from}-${from + 255}, addresses ${hex(q * 2 ** 30)}-${hex((q + 1) * 2 ** 30 - 1)}: 1 GiB)`;
  }
  return `${head}: which part of the guest table this shadow page covers`;
}

/** What the access letters `wux` allow, in words. */
export function accessMeaning(letters: string): string {
  const [w, u, x] = letters;
  const words = [w === 'w' ? 'writable' : 'read-only', u === 'u' ? 'user and supervisor' : 'supervisor only', x === 'x' ? 'executable' : 'not executable'];
  return `${letters} = the access the guest's upper-level entries allow on the way to this table: ${words.join(', ')}`;
}

/** The notation's fields with their meanings; spaces and anything unknown stay plain text. */
export function decodeNotation(notation: string): NotationPart[] {
  const tokens = notation.split(' ');
  const levelTok = tokens.find((t) => /^l\d$/.test(t));
  const level = levelTok ? Number(levelTok.slice(1)) : 0;
  const eightByte = tokens.includes('8-byte');
  const direct = tokens.includes('direct');
  const out: NotationPart[] = [];
  const field = (text: string, term: string, meaning: string) => out.push({ kind: 'field', text, term, meaning });
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (i > 0) out.push({ kind: 'text', text: ' ' });
    let m: RegExpMatchArray | null;
    if (t === 'gfn' && i + 1 < tokens.length && /^[0-9a-f]+$/.test(tokens[i + 1]!)) {
      const g = tokens[++i]!;
      field(
        `gfn ${g}`,
        'gfn',
        direct ? `gfn ${g} = the first guest frame this direct page maps (gpa ${hex(parseInt(g, 16) * 4096)})` : `gfn ${g} = the guest page table this page shadows is guest frame ${hex(parseInt(g, 16))} (at gpa ${hex(parseInt(g, 16) * 4096)})`,
      );
    } else if ((m = /^l(\d)$/.exec(t))) field(t, 'level', `${t} = level ${m[1]}: ${LEVEL_NAME[Number(m[1])] ?? 'a table'}`);
    else if (t === '4-byte')
      field(
        t,
        '4-byte',
        direct
          ? '4-byte on a direct page: it shadows no guest table, so there are no guest entries to size; the bit says the guest uses 4-byte entries (taken from the parent page under this rule set: see Compare)'
          : '4-byte = it shadows a guest table with 4-byte entries (a 32-bit guest without PAE: 1024 entries per table, more than one shadow page holds)',
      );
    else if (t === '8-byte')
      field(
        t,
        '8-byte',
        direct
          ? '8-byte on a direct page: it shadows no guest table, so there are no guest entries to size (5.15\'s kvm_mmu_get_page sets the bit for every direct page)'
          : '8-byte = it shadows a guest table with 8-byte entries (PAE or 64-bit: 512 entries, as many as the shadow page)',
      );
    else if ((m = /^q(\d)$/.exec(t))) field(t, 'quadrant', quadrantMeaning(Number(m[1]), level, eightByte, direct));
    else if (t === 'direct') field(t, 'direct', 'direct = it shadows no guest table: it maps a run of guest frames straight (a guest large page split into 4 KiB pages, or paging off)');
    else if (/^[w-][u-][x-]$/.test(t)) field(t, 'access', accessMeaning(t));
    else if (t === 'invalid') field(t, 'invalid', 'invalid = the page has been zapped but is still in use as a root: no lookup will find it again, it is freed when its last user lets go');
    else if (t === 'unsync') field(t, 'unsync', 'unsync = the guest may write the page table this page shadows without exits; the shadow may be stale until the next sync');
    else if (t === '!nxe') field(t, 'nxe', '!nxe = EFER.NX is off (the role\'s efer_nx = 0): the guest has no no-execute bit');
    else if (t === 'nxe') field(t, 'nxe', 'nxe = EFER.NX is on (the role\'s efer_nx = 1): the guest may mark pages no-execute');
    else out.push({ kind: 'text', text: t });
  }
  return out;
}

/** The decoded notation as lines (for an SVG `<title>` or plain text). */
export const notationLines = (notation: string): string[] => decodeNotation(notation).flatMap((p) => (p.kind === 'field' ? [p.meaning] : []));
