/**
 * The starting points the editor's "New" offers (issue 16): each one a valid,
 * minimal `shadowpaging/v1` document titled "Untitled scenario", with no
 * steps, so a teacher starts from a blank page in the guest mode of the
 * lesson instead of from an old draft.
 *
 * The paging templates give `guest.cr3` (the root table's frame) and an empty
 * `mappings` list: the form's mapping rows fill it, and the parser builds the
 * page tables under that root (from `tablesAt`, 0x100000 by default). Without
 * cr3 an empty paging document would not parse (a paging guest needs a root
 * until some mapping lets the parser place one). Until a mapping is added the
 * parser warns that the root table is all zeros, which is what an empty
 * address space is. Paging off has no tables, so no `mappings` either.
 *
 * `doc()` returns a fresh object every call, so an edit never reaches the
 * template itself.
 *
 * The issue's task with the form alone, as an e2e can follow it (each click
 * and each field filled counts as one action; tests/e2e/editor-form.e2e.ts
 * performs it from the template's document on):
 *
 *  1. click "New"                                   (EditorPanel, the lead's)
 *  2. pick "Empty 32-bit (4-byte PTEs)"             (EditorPanel, the lead's)
 *  3. fill "Title"                                  e.g. "Two mappings"
 *  4. fill "new mapping gva"  0xC0000000            the empty last mapping row
 *  5. fill "mapping 1 gpa"    0x123000              becomes mapping 1 as you type
 *  6. fill "new mapping gva"  0x00400000            a new empty row is always there
 *  7. fill "mapping 2 gpa"    0x200000
 *  8. click "Add a read of mapping 1's gva"         the mapping row's "+ read"
 *  9. click "Add a read of mapping 2's gva"
 * 10. click "Add a write to mapping 1's gva"        the mapping row's "+ write"
 *
 * Ten actions (eleven if opening the editor counts too). Mappings are
 * writable by default ("rw"), as a write step to them is the usual next
 * thing; the "writable" and "user" boxes change that. A step at another
 * address is "Add read" / "Add write" / "Add fetch" under the steps (the new
 * step's gva box has the focus) and one field entry: two actions.
 */
import { FORMAT_V1 } from '../scenarios/raw.ts';

export interface EditorTemplate {
  readonly id: string;
  /** What the New menu shows. */
  readonly label: string;
  /** A fresh copy of the document. */
  readonly doc: () => Record<string, unknown>;
}

export const UNTITLED = 'Untitled scenario';

const paging = (mode: 'x86-32' | 'pae' | 'x86-64') => (): Record<string, unknown> => ({
  format: FORMAT_V1,
  title: UNTITLED,
  guest: { mode, cr3: '0x1000' },
  mappings: [],
  steps: [],
});

export const EDITOR_TEMPLATES: readonly EditorTemplate[] = [
  { id: 'empty-32', label: 'Empty 32-bit (4-byte PTEs)', doc: paging('x86-32') },
  { id: 'empty-pae', label: 'Empty PAE', doc: paging('pae') },
  { id: 'empty-64', label: 'Empty 4-level (x86-64)', doc: paging('x86-64') },
  {
    id: 'paging-off',
    label: 'Paging off',
    doc: () => ({ format: FORMAT_V1, title: UNTITLED, guest: { mode: 'off' }, steps: [] }),
  },
];
