/**
 * The step captions: every step of every built-in under every rule set has
 * one that names the operation and, for accesses, the address in hex; each
 * built-in's captions match its golden file, tests/golden/captions/<id>.txt
 * (one block per step; rule sets that give the same caption are grouped).
 * The golden files are the product: read them when they change.
 *
 * Regenerate them after a deliberate change with
 *   UPDATE_GOLDEN=1 npx vitest run src/ui/step/caption.test.ts
 * and review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULE_SETS, type RuleSetName, Timeline, type TraceEvent } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { errorCodeWords, gvaText } from './caption-words.ts';
import { eventCaption, modeAtStep, stepCaption, stepLabel } from './caption.ts';

const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../tests/golden/captions');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function timeline(json: unknown, rules: RuleSetName): Timeline {
  const p = parseScenario(json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, rules);
}

/** Words wrapped at `width` columns, so a golden file reads (and diffs) line by line. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** A built-in's golden text: every step's caption under every rule set, equal ones grouped. */
function golden(id: string, json: unknown): string {
  const tls = RULE_SETS.map((r) => [r, timeline(json, r)] as const);
  const first = tls[0]![1];
  const out = [
    `# Captions of built-in "${id}" (${first.scenario.title}), under ${RULE_SETS.join(', ')}.`,
    '# Rule sets that give the same caption are grouped. Regenerate: UPDATE_GOLDEN=1 npx vitest run src/ui/step/caption.test.ts',
  ];
  for (let n = 0; n <= first.length; n++) {
    const head = n === 0 ? 'step 0: the first VM entry' : stepLabel(first, n - 1).replace(/ → .*$/, '');
    out.push('', `## ${head}`);
    const groups = new Map<string, RuleSetName[]>();
    for (const [r, tl] of tls) groups.set(stepCaption(tl, n).text, [...(groups.get(stepCaption(tl, n).text) ?? []), r]);
    const briefs = new Map<string, string>();
    const headlines = new Map<string, string>();
    for (const [, tl] of tls) {
      briefs.set(stepCaption(tl, n).text, stepCaption(tl, n).brief);
      headlines.set(stepCaption(tl, n).text, stepCaption(tl, n).headline);
    }
    for (const [text, rules] of groups) {
      if (groups.size > 1) out.push(`[${rules.join(', ')}]`);
      out.push(wrap(text));
      // Presenting mode and the embed show the brief form.
      const brief = briefs.get(text)!;
      if (brief !== text) out.push(wrap(`brief: ${brief}`, 93).replace(/\n/g, '\n       '));
      // The embed shows the headline.
      out.push(wrap(`headline: ${headlines.get(text)!}`, 90).replace(/\n/g, '\n          '));
    }
  }
  return `${out.join('\n')}\n`;
}

describe('step captions of the built-ins', () => {
  for (const entry of LIBRARY) {
    it(`${entry.id}: every step under every rule set names what happened, in hex`, () => {
      for (const rules of RULE_SETS) {
        const tl = timeline(entry.json, rules);
        for (let n = 0; n <= tl.length; n++) {
          const c = stepCaption(tl, n);
          const where = `${rules} step ${n}`;
          expect(c.text.length, where).toBeGreaterThan(20);
          expect(c.text, where).not.toMatch(/undefined|NaN|\[object/);
          // No decimal addresses: every number after "gpa", "gfn" or "at" is hex.
          expect(c.text, where).not.toMatch(/\b(gpa|gfn|CR3 =) (?!0x)\d/);
          if (n === 0) continue;
          const s = tl.scenario.steps[n - 1]!;
          const r = tl.results[n - 1]!;
          if (s.op === 'read' || s.op === 'write' || s.op === 'fetch') {
            expect(c.did, where).toMatch({ read: / reads /, write: / (writes|rewrites) /, fetch: / runs code at / }[s.op]);
            expect(c.did, where).toContain(gvaText(s.gva, modeAtStep(tl, n)));
            expect(c.did, where).toMatch(/0x[0-9a-f]{8}/);
            // "Completes" only when the access really happened.
            const completed = r.events.some((e) => e.kind === 'sim_guest_access');
            expect(/\bcompletes\b/.test(c.outcome), `${where}: ${c.outcome}`).toBe(completed);
            if (r.outcome === 'hit') expect(c.found, where).toMatch(/no exit/);
            else expect(c.found, where).toMatch(/#PF exit/);
          }
          if (r.vector === 14) expect(c.outcome, where).toMatch(/P=[01].* = 0x[0-9a-f]+/);
        }
      }
    });

    it(`${entry.id}: the captions match tests/golden/captions/${entry.id}.txt`, () => {
      const file = resolve(GOLDEN_DIR, `${entry.id}.txt`);
      const text = golden(entry.id, entry.json);
      if (UPDATE || !existsSync(file)) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, text);
        if (!UPDATE) throw new Error(`wrote the missing golden file ${file}: review it, then run again`);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('an access that never completes', () => {
  it('is not told as completed (a PAE root left empty after a same-value CR3 load: the access loops)', () => {
    const p = parseScenario({
      format: 'shadowpaging/v1',
      title: 'loop',
      guest: { mode: 'pae', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2001' } },
        { gpa: '0x2000', entries: { '0': '0x4027' } },
        { gpa: '0x3000', entries: { '0': '0x5027' } },
        { gpa: '0x5000', entries: { '0': '0x11027' } },
      ],
      steps: [
        { op: 'host-write', gpa: '0x1008', value: '0x3001' },
        { op: 'cr3', value: '0x1000' },
        { op: 'read', gva: '0x40000000' },
      ],
    });
    if (!p.ok) throw new Error(p.error.message);
    const tl = new Timeline(p.scenario, 'seed');
    expect(tl.results[2]!.events.some((e) => e.kind === 'sim_guest_access')).toBe(false);
    expect(stepCaption(tl, 2).kvm).toContain('keeps its roots');
    const c = stepCaption(tl, 3);
    expect(c.found).toContain('pae_root[1] is empty');
    expect(c.outcome).toMatch(/^The read does not complete\. Note: /);
    expect(c.text).not.toMatch(/\bcompletes\b/);
    expect(c.brief).not.toMatch(/\bcompletes\b/);
  });
});

describe('every kind of step', () => {
  it('control registers, a refused MOV CR4 (#GP), zap-all and INVLPG are told with their bits and effects', () => {
    const p = parseScenario({
      format: 'shadowpaging/v1',
      title: 'kinds',
      guest: { mode: 'pae', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2001' } },
        { gpa: '0x2000', entries: { '0': '0x4027' } },
        { gpa: '0x4000', entries: { '0': '0x10027', '1': '0x8000000000011027' } },
      ],
      steps: [
        { op: 'efer', nx: true },
        { op: 'cr4', smep: true },
        { op: 'fetch', gva: '0x1000' },
        { op: 'cr4', pcide: true },
        { op: 'cr0', wp: false },
        { op: 'zap-all' },
        { op: 'invlpg', gva: '0x1000' },
      ],
    });
    if (!p.ok) throw new Error(p.error.message);
    const tl = new Timeline(p.scenario, 'seed');
    const t = (n: number) => stepCaption(tl, n).text;
    expect(t(1)).toMatch(/^The guest kernel turns on the no-execute bit \(EFER\.NX=1\)\. EFER\.NX changed: .* KVM drops them\./);
    expect(t(2)).toMatch(/^The guest kernel turns on SMEP \(CR4\.SMEP=1/);
    expect(t(3)).toContain('supervisor instruction fetch from a present no-execute page: P=1 I/D=1 = 0x11');
    expect(t(4)).toMatch(/turns on PCIDs .* KVM injects #GP\(0\) into the guest: CR4\.PCIDE needs long mode/);
    expect(t(5)).toMatch(/^The guest kernel clears CR0\.WP .* KVM drops them\. KVM builds shadow PD sp \d+ for guest PD gfn 0x2 as pae_root\[0\]/);
    expect(t(6)).toMatch(/^The host makes KVM zap every shadow page .* KVM zaps all \d+ shadow pages/);
    expect(t(7)).toMatch(/^The guest kernel invalidates 0x00001000 in the TLB \(INVLPG\)\. No unsync shadow page on the path/);
  });
});

describe('error codes in words', () => {
  it('decodes P, W, U, RSVD and I/D', () => {
    expect(errorCodeWords(0x7, 'read-only')).toBe('user-mode write to a present read-only page: P=1 W=1 U=1 = 0x7');
    expect(errorCodeWords(0x6)).toBe('user-mode write to a not-present page: P=0 W=1 U=1 = 0x6');
    expect(errorCodeWords(0x0)).toBe('supervisor read of a not-present page: P=0 = 0x0');
    expect(errorCodeWords(0x5, 'supervisor-only')).toBe('user-mode read of a present supervisor-only page: P=1 U=1 = 0x5');
    expect(errorCodeWords(0x15, 'no-execute')).toBe('user-mode instruction fetch from a present no-execute page: P=1 U=1 I/D=1 = 0x15');
    expect(errorCodeWords(0x9)).toBe('supervisor read of an entry with reserved bits set: P=1 RSVD=1 = 0x9');
    expect(errorCodeWords(0x3)).toBe('supervisor write to a present page that forbids it: P=1 W=1 = 0x3');
  });

  it('permission-faults step 4 says why 0x6 and 0x7 differ: not present, then read-only', () => {
    const tl = timeline(LIBRARY.find((e) => e.id === 'permission-faults')!.json, 'seed');
    const codes = tl.results.flatMap((r, i) => (r.vector === 14 ? [[i + 1, r.errorCode!] as const] : []));
    for (const [n, ec] of codes) {
      const c = stepCaption(tl, n);
      expect(c.outcome).toContain(`= 0x${ec.toString(16)}`);
      expect(c.outcome).toContain(ec & 8 ? 'reserved bits' : ec & 1 ? 'a present' : 'a not-present page');
    }
  });
});

describe('addresses in the guest\'s width', () => {
  it('pads 32-bit addresses to 8 digits and gives long mode its canonical 64-bit form', () => {
    expect(gvaText(0x300c, 'x86-32')).toBe('0x0000300c');
    expect(gvaText(0xc0603123, 'pae')).toBe('0xc0603123');
    expect(gvaText(0x5000, 'off')).toBe('0x00005000');
    expect(gvaText(0x800000123450, 'x86-64')).toBe('0xffff800000123450');
    expect(gvaText(0x7fffffffe000, 'x86-64')).toBe('0x00007fffffffe000');
    expect(gvaText(0x400000, 'x86-64')).toBe('0x0000000000400000');
  });
});

describe('kernel-event captions', () => {
  it('every event of every built-in has a sentence with its numbers', () => {
    const seen = new Set<string>();
    for (const entry of LIBRARY) {
      for (const rules of RULE_SETS) {
        const tl = timeline(entry.json, rules);
        const steps: Array<[number, readonly TraceEvent[]]> = [[0, tl.initialEvents], ...tl.results.map((r, i) => [i + 1, r.events] as [number, readonly TraceEvent[]])];
        for (const [n, events] of steps) {
          events.forEach((e, k) => {
            seen.add(e.kind);
            const s = eventCaption(e, modeAtStep(tl, n));
            expect(s, `${entry.id} ${rules} step ${n} event ${k} ${e.kind}`).toMatch(/^[A-Z0-9a-z].*[.]$/s);
            expect(s).not.toMatch(/undefined|NaN|\[object/);
          });
        }
      }
    }
    // The library exercises the common kinds (so the loop above is not vacuous).
    for (const k of ['sim_hardware_walk', 'kvm_mmu_get_page', 'kvm_mmu_set_spte', 'cached_root_available', 'kvm_mmu_prepare_zap_page', 'detect_write_flooding', 'kvm_inject_page_fault', 'sim_pae_root_invalid']) expect(seen).toContain(k);
  });

  it('in event mode the caption follows the events: each revealed event changes it', () => {
    const tl = timeline(LIBRARY[0]!.json, 'seed');
    const events = tl.results[0]!.events;
    const texts = events.map((_, k) => stepCaption(tl, 1, k + 1).text);
    expect(new Set(texts).size).toBe(events.length);
    for (const [k, t] of texts.entries()) {
      expect(t.startsWith(stepCaption(tl, 1).did)).toBe(true);
      expect(t).toContain(`Event ${k + 1} of ${events.length}: `);
    }
    expect(stepCaption(tl, 1, 1).now).toContain('0xc0403123');
    expect(stepCaption(tl, 1, null).now).toBeNull();
  });

  it('tells specific events in plain words with their numbers', () => {
    expect(eventCaption({ kind: 'cached_root_available', hit: true, prevIndex: 0 }, 'x86-64')).toContain('prev_roots[0]');
    expect(eventCaption({ kind: 'kvm_page_fault', gva: '0x800000123450', errorCode: 2 }, 'x86-64')).toContain('0xffff800000123450');
    expect(eventCaption({ kind: 'detect_write_flooding', sp: 3, count: 3, flooded: true }, 'pae')).toMatch(/sp 3.*3 times.*zaps/);
    expect(eventCaption({ kind: 'sim_pae_root_invalid', index: 2, reason: 'PDPTE 2 not present' }, 'pae')).toBe('pae_root[2] stays empty: PDPTE 2 not present, so that GiB of addresses has no shadow table.');
  });
});

describe("the guest's paging mode at each step", () => {
  it('follows CR0/CR4/EFER writes that take effect, not those refused with a #GP', () => {
    const base = LIBRARY.find((e) => e.id === 'long-mode-4-levels')!.json as { steps: unknown[] };
    // In long mode with paging on, clearing EFER.LME is refused (#GP); then paging off, LME off and PAE off take effect.
    const steps = [...base.steps, { op: 'efer', lme: false }, { op: 'cr0', pg: false }, { op: 'efer', lme: false }, { op: 'cr4', pae: false }, { op: 'cr0', pg: true }];
    const tl = timeline({ ...base, steps }, 'seed');
    const n = base.steps.length;
    expect(tl.outcome(n)).toBe('guest-fault');
    expect([n + 1, n + 2, n + 3, n + 4].map((i) => tl.outcome(i))).toEqual(['done', 'done', 'done', 'done']);
    // modeAtStep(step): the mode while step `step` (1-based) runs, i.e. after the steps before it.
    expect(modeAtStep(tl, n + 1)).toBe('x86-64');
    expect(modeAtStep(tl, n + 2)).toBe('x86-64');
    expect(modeAtStep(tl, n + 3)).toBe('off');
    expect(modeAtStep(tl, n + 5)).toBe('off');
    expect(modeAtStep(tl, n + 6)).toBe('x86-32');
  });
});
