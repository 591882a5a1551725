import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { largeInputs } from '../../tests/fuzz-inputs.ts';
import { maxReads, sizeOf, workMeter } from '../../tests/parse-work.ts';
import type { MemoryInit, Scenario, U64 } from '../core/scenario.ts';
import { SCENARIO_DEFAULTS, SCENARIO_LIMITS } from '../core/scenario.ts';
import { LIBRARY } from './library/index.ts';
import { formatScenarioError, PARSER_LIMITS, parseScenario, parseScenarioText, type ParseResult } from './schema.ts';
import { hasQuestionPicks, stepQuestionSpecs } from './questions.ts';

const EXAMPLE = {
  format: 'shadowpaging/v1',
  title: 'Example',
  description: 'optional',
  guest: {
    mode: 'x86-32',
    cr3: '0x1000',
    cr0: { wp: true },
    cr4: { pse: true, smep: false, smap: false },
    efer: { nx: false },
    maxPhyAddr: 40,
  },
  host: { hugePages: false, memoryMiB: 4096 },
  memory: [{ gpa: '0x1000', entries: { '769': '0x3007' } }],
  steps: [
    { op: 'read', gva: '0xC0403123', user: false },
    { op: 'write', gva: '0x300C', value: '0x6007', width: 4 },
    { op: 'fetch', gva: '0x400000', user: true },
    { op: 'cr3', value: '0x4000' },
    { op: 'invlpg', gva: '0x3000' },
    { op: 'cr0', wp: false },
    { op: 'cr0', pg: true },
    { op: 'cr4', smep: true, pae: true },
    { op: 'efer', nx: true, lme: true },
  ],
};

/** The smallest valid document for a mode, plus overrides. */
function minimal(mode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { format: 'shadowpaging/v1', title: 't', guest: { mode, cr3: '0x1000' }, steps: [], ...extra };
}

function ok(r: ParseResult): Scenario {
  if (!r.ok) throw new Error(`expected ok, got ${formatScenarioError(r.error)}`);
  return r.scenario;
}

function err(r: ParseResult): { path: string; message: string } {
  if (r.ok) throw new Error('expected an error, got ok');
  return r.error;
}

const u = (n: number, hi = 0): U64 => ({ lo: n >>> 0, hi });

function frame(s: Scenario, gpa: number): MemoryInit {
  const f = s.memory.find((m) => m.gpa === gpa);
  if (f === undefined) throw new Error(`no frame at 0x${gpa.toString(16)}`);
  return f;
}

describe('valid documents', () => {
  it('parses the reference example', () => {
    const r = parseScenario(EXAMPLE);
    const s = ok(r);
    expect(s).toEqual({
      title: 'Example',
      description: 'optional',
      guest: {
        mode: 'x86-32',
        cr3: 0x1000,
        cr0: { wp: true },
        cr4: { pse: true, smep: false, smap: false },
        efer: { nx: false },
        maxPhyAddr: 40,
      },
      host: { hugePages: false, memslotFrames: 4096 * 256 },
      memory: [{ gpa: 0x1000, entrySize: 4, entries: [[769, u(0x3007)]] }],
      steps: [
        { op: 'read', gva: 0xc0403123, user: false },
        { op: 'write', gva: 0x300c, user: false, width: 4, value: u(0x6007) },
        { op: 'fetch', gva: 0x400000, user: true },
        { op: 'cr3', value: 0x4000 },
        { op: 'invlpg', gva: 0x3000 },
        { op: 'cr0', wp: false },
        { op: 'cr0', pg: true },
        { op: 'cr4', pae: true, smep: true },
        { op: 'efer', nx: true, lme: true },
      ],
    });
    // Changing EFER.LME with paging on is kept, with a #GP warning.
    expect(r.ok && r.warnings).toEqual([expect.stringMatching(/^steps\[8\]\.lme: .*#GP/)]);
  });

  it('parses the same example from text', () => {
    expect(parseScenarioText(JSON.stringify(EXAMPLE, null, 2))).toEqual(parseScenario(EXAMPLE));
    expect(ok(parseScenarioText('\uFEFF' + JSON.stringify(EXAMPLE))).title).toBe('Example');
  });

  it('fills in every default', () => {
    const s = ok(
      parseScenario(
        minimal('x86-32', {
          memory: [{ gpa: '0x1000', entries: {} }],
          steps: [
            { op: 'read', gva: 0 },
            { op: 'write', gva: '0x10' },
            { op: 'fetch', gva: 0, ac: true },
          ],
        }),
      ),
    );
    expect(s.description).toBeUndefined();
    expect('description' in s).toBe(false);
    expect(s.guest).toEqual({
      mode: 'x86-32',
      cr3: 0x1000,
      cr0: { wp: SCENARIO_DEFAULTS.cr0Wp },
      cr4: { pse: SCENARIO_DEFAULTS.cr4Pse, smep: SCENARIO_DEFAULTS.cr4Smep, smap: SCENARIO_DEFAULTS.cr4Smap },
      efer: { nx: SCENARIO_DEFAULTS.eferNx },
      maxPhyAddr: SCENARIO_DEFAULTS.maxPhyAddr,
    });
    expect(s.guest.cr0.wp).toBe(true);
    expect(s.guest.cr4).toEqual({ pse: true, smep: false, smap: false });
    expect(s.guest.efer.nx).toBe(false);
    expect(s.guest.maxPhyAddr).toBe(40);
    expect(s.host).toEqual({ hugePages: false, memslotFrames: SCENARIO_DEFAULTS.memslotFrames });
    expect(s.memory).toEqual([{ gpa: 0x1000, entrySize: 4, entries: [] }]);
    expect(s.steps).toEqual([
      { op: 'read', gva: 0, user: false },
      { op: 'write', gva: 0x10, user: false, width: 4 },
      { op: 'fetch', gva: 0, user: false, ac: true },
    ]);
  });

  it('defaults entry size and write width to 8 outside x86-32', () => {
    for (const mode of ['pae', 'x86-64', 'off']) {
      const s = ok(
        parseScenario(minimal(mode, { memory: [{ gpa: '0x1000', entries: { '511': '0xFFFFFFFF_FFFFFFFF' } }], steps: [{ op: 'write', gva: 8 }] })),
      );
      expect(s.memory[0]!.entrySize).toBe(8);
      expect(s.memory[0]!.entries).toEqual([[511, { lo: 0xffffffff, hi: 0xffffffff }]]);
      expect(s.steps[0]).toMatchObject({ op: 'write', width: 8 });
    }
  });

  it('lets a frame override its entry size', () => {
    const s = ok(
      parseScenario(
        minimal('x86-32', {
          memory: [
            { gpa: '0x1000', entries: { '1023': '0xFFFFFFFF' } },
            { gpa: '0x2000', entrySize: 8, entries: { '3': '0x1_0000_0001' } },
          ],
        }),
      ),
    );
    expect(s.memory.map((m) => m.entrySize)).toEqual([4, 8]);
    expect(s.memory[1]!.entries).toEqual([[3, { lo: 1, hi: 1 }]]);
  });

  it('reads hex in any case with underscores, and plain numbers', () => {
    const s = ok(
      parseScenario(
        minimal('x86-32', {
          steps: [
            { op: 'read', gva: '0xc040_3123' },
            { op: 'read', gva: '0XC0403123' },
            { op: 'read', gva: 3225432355 },
            { op: 'read', gva: '0x0000_0000_C040_3123' },
          ],
        }),
      ),
    );
    expect(s.steps.map((x) => ('gva' in x ? x.gva : -1))).toEqual([0xc0403123, 0xc0403123, 0xc0403123, 0xc0403123]);
  });

  it('stores canonical x86-64 addresses as their low 48 bits', () => {
    const s = ok(
      parseScenario(
        minimal('x86-64', {
          steps: [
            { op: 'read', gva: '0xFFFF_8000_0000_1000' },
            { op: 'read', gva: '0x0000_7FFF_FFFF_F000' },
            { op: 'invlpg', gva: '0xFFFFFFFF_FFFFF000' },
            { op: 'read', gva: 2 ** 47 - 1 },
          ],
        }),
      ),
    );
    expect(s.steps.map((x) => ('gva' in x ? x.gva : -1))).toEqual([0x8000_0000_1000, 0x7fff_ffff_f000, 0xffff_ffff_f000, 2 ** 47 - 1]);
  });

  it('accepts PWT/PCD in CR3 and 32-byte PAE alignment', () => {
    expect(ok(parseScenario({ ...minimal('x86-32'), guest: { mode: 'x86-32', cr3: '0x1018' } })).guest.cr3).toBe(0x1018);
    expect(ok(parseScenario({ ...minimal('pae'), guest: { mode: 'pae', cr3: '0x1FE0' } })).guest.cr3).toBe(0x1fe0);
    expect(ok(parseScenario({ ...minimal('off'), guest: { mode: 'off' } })).guest.cr3).toBe(0);
    expect(ok(parseScenario({ ...minimal('off'), guest: { mode: 'off', cr3: '0x123' } })).guest.cr3).toBe(0x123);
  });

  it('converts host.memoryMiB to memslot frames', () => {
    const s = ok(parseScenario(minimal('x86-32', { host: { memoryMiB: 16, hugePages: true } })));
    expect(s.host).toEqual({ hugePages: true, memslotFrames: 16 * 256 });
  });

  it('follows the paging mode through the steps', () => {
    // Starts with paging off (32-bit addresses), ends in long mode (64-bit addresses).
    const s = ok(
      parseScenario(
        minimal('off', {
          steps: [
            { op: 'write', gva: '0x1000' },
            { op: 'cr4', pae: true },
            { op: 'efer', lme: true, nx: true },
            { op: 'cr0', pg: true },
            { op: 'read', gva: '0xFFFF8000_00000000' },
            { op: 'write', gva: '0x2000' },
          ],
        }),
      ),
    );
    expect(s.steps[4]).toEqual({ op: 'read', gva: 0x8000_0000_0000, user: false });
    expect(s.steps[5]).toMatchObject({ width: 8 });
  });

  it('parses host-side steps: host-write (default width the entry width) and zap-all', () => {
    const s = ok(parseScenario(minimal('x86-64', { steps: [{ op: 'host-write', gpa: '0x3008', value: '0x200027' }, { op: 'host-write', gpa: '0x3008', width: 4, value: '0x27' }, { op: 'zap-all' }] })));
    expect(s.steps).toEqual([
      { op: 'host-write', gpa: 0x3008, width: 8, value: u(0x200027) },
      { op: 'host-write', gpa: 0x3008, width: 4, value: u(0x27) },
      { op: 'zap-all' },
    ]);
  });
  it('keeps a write without value (the bytes already there)', () => {
    const s = ok(parseScenario(minimal('x86-32', { steps: [{ op: 'write', gva: '0xFFE', width: 2, user: true }] })));
    expect(s.steps[0]).toEqual({ op: 'write', gva: 0xffe, user: true, width: 2 });
  });

  it('sorts frames and entries, so key order does not matter', () => {
    const a = parseScenario(
      minimal('pae', {
        memory: [
          { gpa: '0x3000', entries: { '5': 1, '2': 2 } },
          { gpa: '0x1000', entries: { '0': 3 } },
        ],
      }),
    );
    const b = parseScenario(
      minimal('pae', {
        memory: [
          { entries: { '0': 3 }, gpa: 4096 },
          { entries: { '2': 2, '5': 1 }, gpa: '0x3000' },
        ],
      }),
    );
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(ok(a).memory.map((m) => m.gpa)).toEqual([0x1000, 0x3000]);
    expect(ok(a).memory[1]!.entries.map((e) => e[0])).toEqual([2, 5]);
  });
});

describe('teacher notes (issue 18)', () => {
  const noted = (note: unknown, op: Record<string, unknown> = { op: 'read', gva: '0x1000' }) =>
    parseScenario(minimal('x86-32', { steps: [{ op: 'read', gva: '0x2000' }, { ...op, note }] }));

  it('accepts a note on every kind of step; the core scenario does not carry it', () => {
    const steps = [
      { op: 'read', gva: '0x1000' },
      { op: 'write', gva: '0x1000', value: '0x1', width: 4 },
      { op: 'fetch', gva: '0x1000' },
      { op: 'invlpg', gva: '0x1000' },
      { op: 'cr0', wp: false },
      { op: 'cr4', smep: true },
      { op: 'efer', nx: true },
      { op: 'host-write', gpa: '0x1000', value: '0x0' },
      { op: 'zap-all' },
      { op: 'cr3', value: '0x1000' },
    ].map((s, i) => ({ ...s, note: `Step ${i + 1}: *look* at \`cr3\`` }));
    const withNotes = ok(parseScenario(minimal('x86-32', { steps })));
    const without = ok(parseScenario(minimal('x86-32', { steps: steps.map(({ note: _n, ...rest }) => rest) })));
    expect(withNotes).toStrictEqual(without);
  });

  it('accepts an empty note and one at the cap; every v1 document without notes parses as before', () => {
    expect(noted('').ok).toBe(true);
    expect(noted('x'.repeat(SCENARIO_LIMITS.maxNoteChars)).ok).toBe(true);
    for (const e of LIBRARY) expect(parseScenario(e.json).ok, e.id).toBe(true);
  });

  it('refuses a note that is not a string, or too long, naming the step', () => {
    expect(err(noted(5))).toEqual({ path: 'steps[1].note', message: 'expected a string, got 5' });
    expect(err(noted({ html: '<b>' }))).toMatchObject({ path: 'steps[1].note' });
    expect(err(noted('x'.repeat(SCENARIO_LIMITS.maxNoteChars + 1)))).toEqual({
      path: 'steps[1].note',
      message: `too long (${SCENARIO_LIMITS.maxNoteChars + 1} characters); at most ${SCENARIO_LIMITS.maxNoteChars}`,
    });
    expect(err(noted('x'.repeat(SCENARIO_LIMITS.maxNoteChars + 1), { op: 'zap-all' })).path).toBe('steps[1].note');
  });

  it('names "note" in the unknown-key message, and suggests it for a typo', () => {
    const e = err(parseScenario(minimal('x86-32', { steps: [{ op: 'zap-all', notes: 'hi' }] })));
    expect(e.path).toBe('steps[0].notes');
    expect(e.message).toMatch(/did you mean "note"\?.*allowed keys: op, questions, note/);
  });
});

describe('question picks (issue 18)', () => {
  const asked = (questions: unknown, op: Record<string, unknown> = { op: 'read', gva: '0x1000' }) =>
    parseScenario(minimal('x86-32', { steps: [{ op: 'read', gva: '0x2000' }, { ...op, questions }] }));

  it('accepts questions on every kind of step, in order; the core scenario does not carry them', () => {
    const qs = [{ kind: 'outcome' }, { kind: 'quadrant-of', gfn: '0x101', level: 1 }, { kind: 'error-code' }, { kind: 'created-pages' }, { kind: 'root-of' }, { kind: 'spte-writable' }];
    const steps = [
      { op: 'read', gva: '0x1000' },
      { op: 'write', gva: '0x1000', value: '0x1', width: 4 },
      { op: 'fetch', gva: '0x1000' },
      { op: 'invlpg', gva: '0x1000' },
      { op: 'cr0', wp: false },
      { op: 'cr4', smep: true },
      { op: 'efer', nx: true },
      { op: 'host-write', gpa: '0x1000', value: '0x0' },
      { op: 'zap-all' },
      { op: 'cr3', value: '0x1000' },
    ].map((s) => ({ ...s, questions: qs, note: 'n' }));
    const withQs = ok(parseScenario(minimal('x86-32', { steps })));
    const without = ok(parseScenario(minimal('x86-32', { steps: steps.map(({ questions: _q, ...rest }) => rest) })));
    expect(withQs).toStrictEqual(without);
    const doc = minimal('x86-32', { steps });
    expect(stepQuestionSpecs(doc, 0)).toEqual([{ kind: 'outcome' }, { kind: 'quadrant-of', gfn: 0x101, level: 1 }, { kind: 'error-code' }, { kind: 'created-pages' }, { kind: 'root-of' }, { kind: 'spte-writable' }]);
    expect(stepQuestionSpecs(minimal('x86-32', { steps: [{ op: 'zap-all' }] }), 0)).toBeUndefined();
    expect(hasQuestionPicks(doc)).toBe(true);
    for (const e of LIBRARY) expect(hasQuestionPicks(e.json), e.id).toBe(false);
  });

  it('refuses a malformed pick, naming the step and the question', () => {
    expect(err(asked('outcome'))).toMatchObject({ path: 'steps[1].questions', message: expect.stringMatching(/an array of questions/) });
    expect(err(asked([{ kind: 'outcome' }, { kind: 'guess' }]))).toMatchObject({ path: 'steps[1].questions[1].kind', message: expect.stringMatching(/one of "outcome", "error-code"/) });
    expect(err(asked([{ kind: 'quadrant-of', gfn: '101' }]))).toMatchObject({ path: 'steps[1].questions[0].gfn', message: expect.stringMatching(/hex/) });
    expect(err(asked([{ kind: 'quadrant-of', level: 7 }]))).toMatchObject({ path: 'steps[1].questions[0].level' });
    expect(err(asked([{ kind: 'outcome', answer: 'hit' }]))).toMatchObject({ path: 'steps[1].questions[0].answer', message: expect.stringMatching(/unknown key.*allowed keys: kind, gfn, level/) });
    expect(err(asked(Array.from({ length: 9 }, () => ({ kind: 'outcome' }))))).toMatchObject({ path: 'steps[1].questions', message: expect.stringMatching(/too many questions \(9\); at most 8/) });
    expect(asked([{ kind: 'outcome' }], { op: 'zap-all' }).ok).toBe(true);
  });
});

describe('errors name the field', () => {
  const cases: Array<[string, unknown, string, RegExp?]> = [
    ['not an object', [1, 2], '', /JSON object/],
    ['missing format', { title: 't' }, 'format', /missing/],
    ['future version', { format: 'shadowpaging/v2' }, 'format', /unsupported format version "shadowpaging\/v2"/],
    ['other format', { format: 'kvm' }, 'format', /unknown format/],
    ['missing title', { ...minimal('x86-32'), title: undefined }, 'title', /missing/],
    ['empty title', minimal('x86-32', { title: '  ' }), 'title', /empty/],
    ['long title', minimal('x86-32', { title: 'x'.repeat(SCENARIO_LIMITS.maxTitleChars + 1) }), 'title', /too long/],
    ['long description', minimal('x86-32', { description: 'x'.repeat(SCENARIO_LIMITS.maxDescriptionChars + 1) }), 'description', /too long/],
    ['unknown top-level key', minimal('x86-32', { stepz: [] }), 'stepz', /unknown key.*did you mean "steps"/],
    ['unknown guest key', minimal('x86-32', { guest: { mode: 'x86-32', cr3: 0, cr5: 1 } }), 'guest.cr5'],
    ['cr4.pae in guest', minimal('x86-32', { guest: { mode: 'x86-32', cr3: 0, cr4: { pae: true } } }), 'guest.cr4.pae', /allowed keys: pse, smep, smap/],
    ['bad mode', minimal('x86-32', { guest: { mode: 'long', cr3: 0 } }), 'guest.mode', /"x86-64"/],
    ['missing cr3', minimal('x86-32', { guest: { mode: 'x86-32' } }), 'guest.cr3', /missing/],
    ['unaligned cr3', minimal('x86-32', { guest: { mode: 'x86-32', cr3: '0x1004' } }), 'guest.cr3', /4 KiB aligned/],
    ['unaligned pae cr3', minimal('pae', { guest: { mode: 'pae', cr3: '0x1008' } }), 'guest.cr3', /32-byte aligned/],
    ['x86-32 cr3 over 4G', minimal('x86-32', { guest: { mode: 'x86-32', cr3: '0x1_0000_0000' } }), 'guest.cr3', /32 bits/],
    ['x86-64 cr3 past maxPhyAddr', minimal('x86-64', { guest: { mode: 'x86-64', cr3: '0x100_0000_0000' } }), 'guest.cr3', /2\^40/],
    ['maxPhyAddr range', minimal('x86-32', { guest: { mode: 'x86-32', cr3: 0, maxPhyAddr: 53 } }), 'guest.maxPhyAddr', /32 to 52/],
    ['boolean typed as string', minimal('x86-32', { guest: { mode: 'x86-32', cr3: 0, cr0: { wp: 'yes' } } }), 'guest.cr0.wp', /true or false, got "yes"/],
    ['memoryMiB range', minimal('x86-32', { host: { memoryMiB: 0 } }), 'host.memoryMiB'],
    ['memoryMiB past maxPhyAddr', minimal('x86-32', { host: { memoryMiB: 8192 }, guest: { mode: 'x86-32', cr3: 0, maxPhyAddr: 32 } }), 'host.memoryMiB', /2\^32/],
    ['gva typo', minimal('x86-32', { steps: [{ op: 'read', gvaa: '0x1' }] }), 'steps[0].gvaa', /did you mean "gva"/],
    ['unknown op', minimal('x86-32', { steps: [{ op: 'reed', gva: 1 }] }), 'steps[0].op', /unknown operation "reed"/],
    ['missing op', minimal('x86-32', { steps: [{ gva: 1 }] }), 'steps[0].op', /missing/],
    ['step not an object', minimal('x86-32', { steps: [5] }), 'steps[0]', /step object/],
    ['host-write misaligned', minimal('x86-64', { steps: [{ op: 'host-write', gpa: '0x3004', value: '0x1' }] }), 'steps[0].gpa', /8-byte aligned/],
    ['host-write outside RAM', minimal('x86-32', { host: { memoryMiB: 4 }, steps: [{ op: 'host-write', gpa: '0x400000', value: '0x1' }] }), 'steps[0].gpa', /outside guest RAM/],
    ['host-write value too wide', minimal('x86-32', { steps: [{ op: 'host-write', gpa: '0x1000', value: '0x1_0000_0000' }] }), 'steps[0].value', /does not fit in a 4-byte write/],
    ['host-write without value', minimal('x86-32', { steps: [{ op: 'host-write', gpa: '0x1000' }] }), 'steps[0].value', /missing/],
    ['zap-all with a field', minimal('x86-32', { steps: [{ op: 'zap-all', gva: '0x1000' }] }), 'steps[0].gva', /unknown key/],
    ['bad gva string', minimal('x86-32', { steps: [{ op: 'read', gva: 0 }, { op: 'read', gva: 'C0403123' }] }), 'steps[1].gva', /expected a hex string like "0xC0403123" or a number/],
    ['gva as boolean', minimal('x86-32', { steps: [{ op: 'read', gva: true }] }), 'steps[0].gva', /expected a hex string/],
    ['negative gva', minimal('x86-32', { steps: [{ op: 'read', gva: -1 }] }), 'steps[0].gva', /negative/],
    ['fractional gva', minimal('x86-32', { steps: [{ op: 'read', gva: 1.5 }] }), 'steps[0].gva', /whole number/],
    ['unsafe number', minimal('x86-64', { steps: [{ op: 'read', gva: 2 ** 60 }] }), 'steps[0].gva', /hex string/],
    ['double underscore', minimal('x86-32', { steps: [{ op: 'read', gva: '0x1__0' }] }), 'steps[0].gva'],
    ['wider than 64 bits', minimal('x86-64', { steps: [{ op: 'read', gva: '0x1_0000_0000_0000_0000' }] }), 'steps[0].gva', /64 bits/],
    ['32-bit gva too big', minimal('pae', { steps: [{ op: 'read', gva: '0x1_0000_0000' }] }), 'steps[0].gva', /32 bits/],
    ['non-canonical gva', minimal('x86-64', { steps: [{ op: 'read', gva: '0x0000_8000_0000_0000' }] }), 'steps[0].gva', /not canonical/],
    ['non-canonical number', minimal('x86-64', { steps: [{ op: 'invlpg', gva: 2 ** 47 }] }), 'steps[0].gva', /not canonical/],
    ['bad width', minimal('x86-32', { steps: [{ op: 'write', gva: 0, width: 3 }] }), 'steps[0].width', /1, 2, 4, 8/],
    ['page-crossing write', minimal('x86-32', { steps: [{ op: 'write', gva: '0xFFE', width: 4 }] }), 'steps[0].gva', /4 KiB page boundary/],
    ['value too wide', minimal('x86-32', { steps: [{ op: 'write', gva: 0, width: 1, value: '0x100' }] }), 'steps[0].value', /1-byte/],
    ['cr3 step missing value', minimal('x86-32', { steps: [{ op: 'cr3' }] }), 'steps[0].value', /missing/],
    ['cr3 step unaligned', minimal('x86-32', { steps: [{ op: 'cr3', value: '0x4020' }] }), 'steps[0].value', /4 KiB aligned/],
    ['empty cr0 step', minimal('x86-32', { steps: [{ op: 'cr0' }] }), 'steps[0]', /wp/],
    ['extra key on cr0', minimal('x86-32', { steps: [{ op: 'cr0', pe: true }] }), 'steps[0].pe', /allowed keys: op, wp, pg/],
    ['unaligned frame', minimal('x86-32', { memory: [{ gpa: '0x1001', entries: {} }] }), 'memory[0].gpa', /4 KiB aligned/],
    ['duplicate frame', minimal('x86-32', { memory: [{ gpa: '0x1000', entries: {} }, { gpa: 4096, entries: {} }] }), 'memory[1].gpa', /twice.*memory\[0\]/],
    ['frame outside RAM', minimal('x86-32', { host: { memoryMiB: 1 }, memory: [{ gpa: '0x100000', entries: {} }] }), 'memory[0].gpa', /outside guest RAM/],
    ['index out of range (4-byte)', minimal('x86-32', { memory: [{ gpa: 0, entries: { '1024': 1 } }] }), 'memory[0].entries.1024', /0 to 1023/],
    ['index out of range (8-byte)', minimal('pae', { memory: [{ gpa: 0, entries: { '512': 1 } }] }), 'memory[0].entries.512', /0 to 511/],
    ['index with leading zero', minimal('x86-32', { memory: [{ gpa: 0, entries: { '07': 1 } }] }), 'memory[0].entries.07', /decimal/],
    ['index not decimal', minimal('x86-32', { memory: [{ gpa: 0, entries: { '0x10': 1 } }] }), 'memory[0].entries.0x10', /decimal/],
    ['4-byte entry too wide', minimal('x86-32', { memory: [{ gpa: 0, entries: { '769': '0x1_0000_0000' } }] }), 'memory[0].entries.769', /4-byte entry/],
    ['entry value type', minimal('x86-32', { memory: [{ gpa: 0, entries: { '1': null } }] }), 'memory[0].entries.1', /hex string/],
    ['entrySize value', minimal('x86-32', { memory: [{ gpa: 0, entrySize: 2, entries: {} }] }), 'memory[0].entrySize', /4, 8/],
    ['entries as array', minimal('x86-32', { memory: [{ gpa: 0, entries: [1] }] }), 'memory[0].entries', /object/],
    ['too many steps', minimal('x86-32', { steps: Array.from({ length: PARSER_LIMITS.maxFileSteps + 1 }, () => ({ op: 'read', gva: 0 })) }), 'steps', /too many steps/],
    ['too many frames', minimal('x86-32', { memory: Array.from({ length: SCENARIO_LIMITS.maxFrames + 1 }, (_, i) => ({ gpa: i * 4096, entries: {} })) }), 'memory', /too many memory frames/],
    ['steps missing', { format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' } }, 'steps', /missing/],
    ['proto key at top level', JSON.parse('{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off"},"steps":[],"__proto__":{"x":1}}'), '__proto__', /unknown key/],
    ['proto key as entry', JSON.parse('{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off"},"steps":[],"memory":[{"gpa":0,"entries":{"__proto__":"0x1"}}]}'), 'memory[0].entries.__proto__', /decimal/],
    ['odd key quoted in path', minimal('x86-32', { 'a b': 1 }), '["a b"]', /unknown key/],
  ];
  for (const [name, input, path, message] of cases) {
    it(name, () => {
      const e = err(parseScenario(input));
      expect(e.path).toBe(path);
      if (message) expect(e.message).toMatch(message);
      expect(formatScenarioError(e)).toBe(path === '' ? `scenario: ${e.message}` : `${path}: ${e.message}`);
    });
  }

  it('formats the one-line message', () => {
    const e = err(parseScenario(minimal('x86-32', { steps: [{ op: 'read', gva: 0 }, 1, 2, { op: 'read', gva: {} }] })));
    expect(e.path).toBe('steps[1]');
    const e2 = err(parseScenario(minimal('x86-32', { steps: [0, 1, 2, { op: 'read', gva: {} }].slice(3) })));
    expect(formatScenarioError(e2)).toBe('steps[0].gva: expected a hex string like "0xC0403123" or a number, got an object');
    const e3 = err(
      parseScenario(minimal('x86-32', { steps: [{ op: 'read', gva: 0 }, { op: 'read', gva: 0 }, { op: 'read', gva: 0 }, { op: 'read', gva: [] }] })),
    );
    expect(formatScenarioError(e3)).toBe('steps[3].gva: expected a hex string like "0xC0403123" or a number, got an array');
  });

  it('reports JSON syntax errors', () => {
    const e = err(parseScenarioText('{"format": "shadowpaging/v1",\n  "title": }'));
    expect(e.path).toBe('');
    // V8 words this differently across versions; a position, when given, becomes a line and column.
    expect(e.message).toMatch(/^not valid JSON: ./);
    expect(err(parseScenarioText('')).message).toMatch(/not valid JSON/);
  });
});

describe('mappings builder', () => {
  const entries = (s: Scenario, gpa: number) => frame(s, gpa).entries;

  it('x86-32: a 4 KiB page under PDE 769, and a 4 MiB PSE page', () => {
    const s = ok(
      parseScenario(
        minimal('x86-32', {
          mappings: [
            { gva: '0xC0400000', gpa: '0x12400000', size: '4K', flags: 'rwu' },
            { gva: '0xC0401000', gpa: '0x12401000', flags: 'r', accessed: false, dirty: true },
            { gva: '0x80000000', gpa: '0x12400000', size: '4M', flags: 'rw', dirty: true },
          ],
        }),
      ),
    );
    expect(s.guest.cr3).toBe(0x1000);
    expect(s.memory.map((m) => [m.gpa, m.entrySize])).toEqual([
      [0x1000, 4],
      [0x100000, 4],
    ]);
    expect(entries(s, 0x1000)).toEqual([
      [512, u(0x12400000 | 0x80 | 0x40 | 0x20 | 0x2 | 0x1)],
      [769, u(0x00100000 | 0x27)],
    ]);
    expect(entries(s, 0x100000)).toEqual([
      [0, u(0x12400000 | 0x27)],
      [1, u(0x12401000 | 0x40 | 0x1)],
    ]);
  });

  it('x86-32: PSE-36 puts gpa bits 39:32 in PDE bits 20:13', () => {
    const s = ok(
      parseScenario(minimal('x86-32', { mappings: [{ gva: '0x400000', gpa: '0x3_0040_0000', size: '4M', flags: 'r' }] })),
    );
    expect(entries(s, 0x1000)).toEqual([[1, u(0x00400000 | (3 << 13) | 0xa1)]]);
  });

  it('pae: PDPT at cr3 (with offset), then PD and PT; NX in bit 63', () => {
    const s = ok(
      parseScenario({
        ...minimal('pae'),
        guest: { mode: 'pae', cr3: '0x1020', efer: { nx: true } },
        mappings: [
          { gva: '0xC0400000', gpa: '0x12400000', flags: 'rw', nx: true },
          { gva: '0x00200000', gpa: '0x1_0000_0000', size: '2M', flags: 'rwux' },
        ],
      }),
    );
    expect(s.memory.map((m) => [m.gpa, m.entrySize])).toEqual([
      [0x1000, 8],
      [0x100000, 8],
      [0x101000, 8],
      [0x102000, 8],
    ]);
    // PDPTE i lives at index (0x20 / 8) + i; only P plus the address.
    expect(entries(s, 0x1000)).toEqual([
      [4, u(0x102000 | 0x1)],
      [7, u(0x100000 | 0x1)],
    ]);
    expect(entries(s, 0x100000)).toEqual([[2, u(0x101000 | 0x27)]]);
    expect(entries(s, 0x101000)).toEqual([[0, { lo: 0x12400000 | 0x23, hi: 0x80000000 }]]);
    expect(entries(s, 0x102000)).toEqual([[1, { lo: 0x80 | 0x27, hi: 1 }]]);
  });

  it('x86-64: four levels, a 1 GiB page in the kernel half, cr3 allocated', () => {
    const s = ok(
      parseScenario({
        ...minimal('x86-64'),
        guest: { mode: 'x86-64' },
        mappings: [
          { gva: '0xFFFFFFFF_C0000000', gpa: '0x40000000', size: '1G', flags: 'rw' },
          { gva: '0x400000', gpa: '0x5000', flags: 'rwux' },
          { gva: '0x401000', gpa: '0x6000', flags: 'ru' },
        ],
      }),
    );
    expect(s.guest.cr3).toBe(0x100000);
    expect(s.memory.map((m) => m.gpa)).toEqual([0x100000, 0x101000, 0x102000, 0x103000, 0x104000]);
    expect(entries(s, 0x100000)).toEqual([
      [0, u(0x102000 | 0x27)],
      [511, u(0x101000 | 0x27)],
    ]);
    expect(entries(s, 0x101000)).toEqual([[511, u(0x40000000 | 0x80 | 0x23)]]);
    expect(entries(s, 0x102000)).toEqual([[0, u(0x103000 | 0x27)]]);
    expect(entries(s, 0x103000)).toEqual([[2, u(0x104000 | 0x27)]]);
    expect(entries(s, 0x104000)).toEqual([
      [0, u(0x5000 | 0x27)],
      [1, u(0x6000 | 0x25)],
    ]);
  });

  it('skips frames listed in memory and honours tablesAt', () => {
    const s = ok(
      parseScenario(
        minimal('x86-32', {
          tablesAt: '0x200000',
          memory: [
            { gpa: '0x200000', entries: { '5': '0x1234' } },
            { gpa: '0x1000', entries: { '1': '0x3007' } },
          ],
          mappings: [{ gva: '0x1000', gpa: '0x1000', flags: 'rw' }],
        }),
      ),
    );
    expect(s.memory.map((m) => m.gpa)).toEqual([0x1000, 0x200000, 0x201000]);
    expect(entries(s, 0x1000)).toEqual([
      [0, u(0x201000 | 0x27)],
      [1, u(0x3007)],
    ]);
    expect(entries(s, 0x201000)).toEqual([[1, u(0x1000 | 0x23)]]);
  });

  it('merges with an identical raw entry and rejects a different one', () => {
    const mk = (v: string) =>
      parseScenario(
        minimal('x86-32', {
          memory: [{ gpa: '0x1000', entries: { '0': v } }],
          mappings: [{ gva: '0x1000', gpa: '0x5000', flags: 'rw' }],
        }),
      );
    expect(ok(mk('0x100027')).memory.length).toBe(2);
    const e = err(mk('0x3007'));
    expect(e.path).toBe('mappings[0]');
    expect(e.message).toMatch(/memory\[0\]\.entries\.0/);
  });

  it('warns when a mapping targets a table it built', () => {
    const r = parseScenario(minimal('x86-32', { mappings: [{ gva: '0x400000', gpa: '0x100000', flags: 'rw' }] }));
    expect(r.ok && r.warnings.some((w) => w.startsWith('mappings[0]:') && w.includes('0x100000'))).toBe(true);
  });

  it('is deterministic', () => {
    const doc = {
      ...minimal('x86-64'),
      guest: { mode: 'x86-64' },
      mappings: Array.from({ length: 50 }, (_, i) => ({
        gva: `0x${(0x7f0000000000 + i * 0x201000).toString(16)}`,
        gpa: `0x${(0x200000 + i * 0x1000).toString(16)}`,
        flags: i % 2 ? 'rw' : 'rwu',
      })),
    };
    const a = JSON.stringify(parseScenario(doc));
    const b = JSON.stringify(parseScenarioText(JSON.stringify(doc)));
    expect(a).toBe(b);
    expect(JSON.stringify(parseScenario(structuredClone(doc)))).toBe(a);
  });

  const mappingErrors: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['2M in x86-32', minimal('x86-32', { mappings: [{ gva: 0, gpa: 0, size: '2M', flags: 'r' }] }), 'mappings[0].size', /x86-32/],
    ['4M without PSE', { ...minimal('x86-32'), guest: { mode: 'x86-32', cr3: 0x1000, cr4: { pse: false } }, mappings: [{ gva: 0, gpa: 0, size: '4M', flags: 'r' }] }, 'mappings[0].size', /pse/],
    ['1G in pae', minimal('pae', { mappings: [{ gva: 0, gpa: 0, size: '1G', flags: 'r' }] }), 'mappings[0].size', /pae/],
    ['4M in x86-64', minimal('x86-64', { mappings: [{ gva: 0, gpa: 0, size: '4M', flags: 'r' }] }), 'mappings[0].size', /x86-64/],
    ['unknown size', minimal('x86-64', { mappings: [{ gva: 0, gpa: 0, size: '8K', flags: 'r' }] }), 'mappings[0].size', /"4K"/],
    ['unaligned gva', minimal('pae', { mappings: [{ gva: '0x1000', gpa: 0, size: '2M', flags: 'r' }] }), 'mappings[0].gva', /aligned/],
    ['unaligned gpa', minimal('x86-32', { mappings: [{ gva: 0, gpa: '0x10', flags: 'r' }] }), 'mappings[0].gpa', /aligned/],
    ['gpa past maxPhyAddr', minimal('x86-64', { mappings: [{ gva: 0, gpa: '0x100_0000_0000', flags: 'r' }] }), 'mappings[0].gpa', /maxPhyAddr/],
    ['x86-32 4K gpa over 4G', minimal('x86-32', { mappings: [{ gva: 0, gpa: '0x1_0000_0000', flags: 'r' }] }), 'mappings[0].gpa', /32-bit/],
    ['non-canonical gva', minimal('x86-64', { mappings: [{ gva: '0x8000_0000_0000', gpa: 0, flags: 'r' }] }), 'mappings[0].gva', /canonical/],
    ['nx in x86-32', minimal('x86-32', { mappings: [{ gva: 0, gpa: 0, flags: 'r', nx: true }] }), 'mappings[0].nx', /x86-32/],
    ['nx without efer.nx', minimal('pae', { mappings: [{ gva: 0, gpa: 0, flags: 'r', nx: true }] }), 'mappings[0].nx', /efer\.nx/],
    ['flags without r', minimal('pae', { mappings: [{ gva: 0, gpa: 0, flags: 'wu' }] }), 'mappings[0].flags', /must include "r"/],
    ['bad flag letter', minimal('pae', { mappings: [{ gva: 0, gpa: 0, flags: 'rwz' }] }), 'mappings[0].flags', /"z"/],
    ['missing flags', minimal('pae', { mappings: [{ gva: 0, gpa: 0 }] }), 'mappings[0].flags', /missing/],
    ['typo in mapping', minimal('pae', { mappings: [{ gva: 0, gpa: 0, flags: 'r', dirtyy: true }] }), 'mappings[0].dirtyy', /did you mean "dirty"/],
    ['same page twice', minimal('x86-32', { mappings: [{ gva: 0, gpa: 0, flags: 'r' }, { gva: 0, gpa: '0x1000', flags: 'r' }] }), 'mappings[1]', /mappings\[0\]/],
    ['leaf over table', minimal('pae', { mappings: [{ gva: '0x201000', gpa: 0, flags: 'r' }, { gva: '0x200000', gpa: 0, size: '2M', flags: 'r' }] }), 'mappings[1]', /mappings\[0\].*page table/],
    ['table under leaf', minimal('x86-64', { mappings: [{ gva: 0, gpa: 0, size: '1G', flags: 'r' }, { gva: '0x1000', gpa: 0, flags: 'r' }] }), 'mappings[1]', /mappings\[0\] maps a 1G page/],
    ['paging off', minimal('off', { mappings: [{ gva: 0, gpa: 0, flags: 'r' }] }), 'mappings', /paging off/],
    ['tables past RAM', minimal('x86-32', { host: { memoryMiB: 2 }, tablesAt: '0x1FF000', mappings: [{ gva: 0, gpa: 0, flags: 'r' }, { gva: '0x400000', gpa: 0, flags: 'r' }] }), 'mappings[1]', /no room/],
    ['pae root above 4 GiB', { ...minimal('pae'), guest: { mode: 'pae' }, host: { memoryMiB: 8192 }, tablesAt: '0x1_0000_0000', mappings: [{ gva: 0, gpa: 0, flags: 'r' }] }, 'tablesAt', /32 bits/],
    ['root frame entry size clash', minimal('x86-32', { memory: [{ gpa: '0x1000', entrySize: 8, entries: {} }], mappings: [{ gva: 0, gpa: 0, flags: 'r' }] }), 'memory[0].entrySize', /4-byte/],
  ];
  for (const [name, input, path, message] of mappingErrors) {
    it(`rejects: ${name}`, () => {
      const e = err(parseScenario(input));
      expect(e.path).toBe(path);
      expect(e.message).toMatch(message);
    });
  }

  it('places the root at the first allocated frame when cr3 is omitted', () => {
    const s = ok(
      parseScenario({
        ...minimal('pae'),
        guest: { mode: 'pae' },
        tablesAt: '0x300000',
        mappings: [{ gva: '0xC0000000', gpa: '0x5000', flags: 'rw' }],
      }),
    );
    expect(s.guest.cr3).toBe(0x300000);
    expect(frame(s, 0x300000).entries).toEqual([[3, u(0x301000 | 1)]]);
  });
});

describe('robustness', () => {
  // The work of each parse is counted (tests/parse-work.ts), not timed, so a busy machine cannot fail these.
  const meter = workMeter();
  afterAll(() => meter.restore());

  /** parseScenario on `v`, whose reads must be linear in its size. */
  const parseValue = (v: unknown): ParseResult => {
    const { result, work } = meter.measure(() => parseScenario(meter.counted(v)));
    expect(work.reads).toBeLessThanOrEqual(maxReads({ values: sizeOf(v) }));
    return result;
  };
  /** parseScenarioText on `t`: one JSON.parse at most, none past the text cap, reads linear in the JSON. */
  const parseText = (t: string): ParseResult => {
    const { result, work } = meter.measure(() => parseScenarioText(t));
    expect(work.jsonParses).toBe(t.length > PARSER_LIMITS.maxTextChars ? 0 : 1);
    expect(work.reads).toBeLessThanOrEqual(maxReads(work));
    return result;
  };

  it('counts the reads without changing what the parser answers...', () => {
    for (const v of [EXAMPLE, ...LIBRARY.map((e) => e.json)]) {
      const { result, work } = meter.measure(() => parseScenario(meter.counted(v)));
      expect(result).toEqual(parseScenario(v));
      // ...and the counter sees the parser go through the document.
      expect(work.reads).toBeGreaterThan(sizeOf(v) / 4);
    }
  });

  it('keeps within the read bound on the costliest documents per character: lists of empty objects', () => {
    for (const list of ['mappings', 'memory', 'steps']) {
      const doc = { ...minimal('x86-32'), [list]: Array.from({ length: 4096 }, () => ({})) };
      expect(parseText(JSON.stringify(doc)).ok).toBe(false);
      expect(parseValue(doc).ok).toBe(false);
    }
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseValue(v);
        expect(typeof r.ok).toBe('boolean');
        parseText(JSON.stringify(v) ?? '');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
        (v) => {
          expect(typeof parseValue(v).ok).toBe('boolean');
          expect(typeof parseValue({ ...EXAMPLE, guest: v }).ok).toBe('boolean');
          expect(typeof parseValue({ ...EXAMPLE, steps: [v] }).ok).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });

  /** Replaces, deletes or adds something at a random place in a valid document. */
  const mutate = (doc: unknown, choices: number[], replacement: unknown, kind: number): unknown => {
    const root = structuredClone(doc) as Record<string, unknown>;
    let node: Record<string, unknown> | unknown[] = root;
    for (const c of choices) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[c % keys.length]!;
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null && c % 3 !== 0) {
        node = child as Record<string, unknown>;
        continue;
      }
      if (kind === 0) (node as Record<string, unknown>)[key] = replacement;
      else if (kind === 1) delete (node as Record<string, unknown>)[key];
      else Object.defineProperty(node, `${key}${c}`, { value: replacement, enumerable: true, writable: true, configurable: true });
      return root;
    }
    return root;
  };

  const valids: unknown[] = [
    EXAMPLE,
    {
      ...minimal('x86-64'),
      guest: { mode: 'x86-64', efer: { nx: true } },
      mappings: [
        { gva: '0xFFFFFFFF_C0000000', gpa: '0x40000000', size: '1G', flags: 'rw' },
        { gva: '0x400000', gpa: '0x5000', flags: 'rwu', nx: true },
      ],
      steps: [{ op: 'write', gva: '0x400008', value: '0x1', width: 8, user: true, ac: false }],
    },
  ];

  it('never throws on mutated valid documents', () => {
    for (const v of valids) ok(parseScenario(v));
    fc.assert(
      fc.property(
        fc.constantFrom(...valids),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.oneof(fc.jsonValue(), fc.constantFrom('__proto__', 'constructor', '0xFFFFFFFFFFFFFFFF', -1, 2 ** 53, '0x', {})),
        fc.nat(2),
        (doc, choices, replacement, kind) => {
          const m = mutate(doc, choices, replacement, kind);
          const r = parseValue(m);
          if (!r.ok) expect(formatScenarioError(r.error)).toMatch(/^[^\n]+$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated JSON text', () => {
    const text = JSON.stringify(EXAMPLE);
    fc.assert(
      fc.property(fc.nat(text.length), fc.nat(5), fc.string({ maxLength: 5 }), (pos, del, ins) => {
        const t = text.slice(0, pos) + ins + text.slice(pos + del);
        expect(typeof parseText(t).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('handles deep nesting, huge arrays and hostile objects, refusing what is over a cap before looking at every element', () => {
    for (const { name, input, path } of largeInputs(EXAMPLE)) {
      const { result, work } = meter.measure(() => (typeof input === 'string' ? parseScenarioText(input) : parseScenario(meter.counted(input.value))));
      expect(err(result).path, name).toBe(path);
      // However large the input, the parser looks at a few hundred values
      // before refusing it. The frame's 100,000 entries are listed (Object.keys,
      // which reads each key's descriptor through the counting proxy), but
      // none is parsed.
      expect(work.reads, name).toBeLessThan(1000 + (path === 'memory[0].entries' ? 100_000 : 0));
      if (typeof input === 'string') expect(work.jsonChars, name).toBe(input.length > PARSER_LIMITS.maxTextChars ? 0 : input.length);
    }

    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        ownKeys() {
          throw new Error('boom');
        },
        getOwnPropertyDescriptor() {
          throw new Error('boom');
        },
      },
    );
    expect(parseScenario(throwing).ok).toBe(false);
    expect(parseScenario({ ...EXAMPLE, guest: throwing }).ok).toBe(false);
    const getter = { ...EXAMPLE };
    Object.defineProperty(getter, 'title', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(parseScenario(getter).ok).toBe(false);
    expect(parseScenarioText(undefined as unknown as string).ok).toBe(false);
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
