/**
 * The editor's New templates (issue 16): each is a valid document the parser
 * accepts and the core runs, titled "Untitled scenario", a fresh copy every
 * time; the paging ones take a mapping as the form adds it.
 */
import { describe, expect, it } from 'vitest';
import { Timeline } from '../core/index.ts';
import { parseScenario } from '../scenarios/schema.ts';
import { EDITOR_TEMPLATES, UNTITLED } from './editor-templates.ts';

describe('EDITOR_TEMPLATES', () => {
  it('offers the four starting points the issue names, with distinct ids', () => {
    expect(EDITOR_TEMPLATES.map((t) => t.label)).toEqual(['Empty 32-bit (4-byte PTEs)', 'Empty PAE', 'Empty 4-level (x86-64)', 'Paging off']);
    expect(new Set(EDITOR_TEMPLATES.map((t) => t.id)).size).toBe(EDITOR_TEMPLATES.length);
  });

  for (const t of EDITOR_TEMPLATES) {
    it(`${t.label}: parses, builds a Timeline, is untitled and has no steps`, () => {
      const doc = t.doc();
      expect(doc.title).toBe(UNTITLED);
      const r = parseScenario(doc);
      if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
      expect(r.scenario.steps).toEqual([]);
      const tl = new Timeline(r.scenario);
      expect(tl.length).toBe(0);
    });
  }

  it('the paging templates are the mode the label says, and each mapping added builds tables under cr3', () => {
    const modes = Object.fromEntries(EDITOR_TEMPLATES.map((t) => [t.id, (t.doc().guest as { mode: string }).mode]));
    expect(modes).toEqual({ 'empty-32': 'x86-32', 'empty-pae': 'pae', 'empty-64': 'x86-64', 'paging-off': 'off' });
    for (const t of EDITOR_TEMPLATES.filter((t) => t.id !== 'paging-off')) {
      const doc = t.doc();
      expect(doc.mappings).toEqual([]);
      const r = parseScenario({
        ...doc,
        mappings: [
          { gva: '0xC0000000', gpa: '0x123000', flags: 'rw' },
          { gva: '0x00400000', gpa: '0x200000', flags: 'rw' },
        ],
        steps: [
          { op: 'read', gva: '0xC0000000' },
          { op: 'read', gva: '0x00400000' },
          { op: 'write', gva: '0xC0000000' },
        ],
      });
      if (!r.ok) throw new Error(`${t.id}: ${r.error.path}: ${r.error.message}`);
      expect(r.warnings).toEqual([]);
      expect(r.scenario.guest.cr3).toBe(0x1000);
      expect(r.scenario.memory.some((f) => f.gpa === 0x1000 && f.entries.length > 0)).toBe(true);
      expect(new Timeline(r.scenario).length).toBe(3);
    }
  });

  it('doc() is a fresh copy: editing one does not change the next', () => {
    const t = EDITOR_TEMPLATES[0]!;
    const a = t.doc();
    (a.mappings as unknown[]).push({ gva: '0x0', gpa: '0x0', flags: 'r' });
    (a.guest as Record<string, unknown>).mode = 'pae';
    a.title = 'changed';
    expect(t.doc()).toEqual({ format: 'shadowpaging/v1', title: UNTITLED, guest: { mode: 'x86-32', cr3: '0x1000' }, mappings: [], steps: [] });
  });
});
