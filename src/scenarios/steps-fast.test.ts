/**
 * The fast path for steps (steps-fast.ts, raw-parse.ts) against zod alone
 * (raw.ts): the same answer on random step arrays, valid and broken, and on
 * documents broken elsewhere too. "The same" is strict: ok or not alike, the
 * same parsed objects (keys in the same order, `undefined` where zod keeps a
 * key with no value) and the same error path and message.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { parseU64 } from './hex.ts';
import { PARSER_LIMITS } from './limits.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { rawStep, STEP_OPS } from './raw.ts';
import { sim_parseRaw, sim_parseRawZod } from './raw-parse.ts';
import { formatScenarioError, parseScenario, parseScenarioText, sim_parseScenarioZodOnly, type ParseResult } from './schema.ts';
import { sim_fastStep, sim_fastU64 } from './steps-fast.ts';

/** A serialization that keeps key order and tells `undefined` apart from an absent key. */
const exact = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x === undefined ? '<undefined>' : x));

const describeResult = (r: ParseResult): string => (r.ok ? `ok, ${r.scenario.steps.length} steps` : formatScenarioError(r.error));

// ---------------------------------------------------------------------------
// Values

/** Inserts single underscores between hex digits at the chosen places. */
const withUnderscores = (digits: string, at: number[]): string => {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && at.includes(i)) out += '_';
    out += digits[i];
  }
  return out;
};

const validU64 = fc.oneof(
  fc.maxSafeNat(),
  fc.nat(0xffff_ffff),
  fc.constantFrom(0, -0, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(6), fc.constantFrom('0x', '0X'), fc.boolean(), fc.array(fc.nat(20), { maxLength: 4 }))
    .map(([b, zeros, prefix, upper, at]) => {
      const digits = '0'.repeat(zeros) + b.toString(16);
      return prefix + withUnderscores(upper ? digits.toUpperCase() : digits, at);
    }),
);

const badU64 = fc.oneof(
  fc.constantFrom('0x', '0X', '0x_1', '0x1_', '0x1__2', '_0x1', '1234', 'abc', 'C0403123', '0xg', '0x 1', ' 0x1', '0x1 ', 'x1', '0b1', '0x+1', '0x-1'),
  fc.constantFrom(-1, 1.5, -0.5, 2 ** 53, 2 ** 64, Number.NaN, Infinity, -Infinity, null, true, false),
  fc.constantFrom('0x' + '1'.repeat(17), '0x1' + '0'.repeat(16), '0x' + '0'.repeat(62) + '1', '0x' + '0'.repeat(63) + '1', '0x' + 'f'.repeat(16)),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('0', 'x', 'X', '_', 'a', 'F', '9', 'g', ' '), maxLength: 24 }),
  fc.constantFrom([], {}, [1], { lo: 1, hi: 0 }, 10n),
);

const bools = fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 'true', null, undefined));
const widths = fc.constantFrom(1, 2, 3, 4, 8, 16, '4', 4.5, undefined, null);
const anyValue = fc.oneof(validU64, badU64, bools, widths, fc.constant(undefined));

describe('sim_fastU64', () => {
  it('accepts what parseU64 accepts, with the same value, and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(validU64, badU64, fc.anything()), (v) => {
        const slow = parseU64(v, '0x1000');
        const fast = sim_fastU64(v);
        if (typeof slow === 'string') expect(fast, slow).toBeUndefined();
        else expect(fast).toStrictEqual(slow);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Steps

/** Notes (issue 18): short, empty, hostile-looking, and exactly at the cap. */
const notes = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '<script>alert(1)</script>', '**bold** and `code`', 'x'.repeat(SCENARIO_LIMITS.maxNoteChars)),
);
/** Almost a note: not a string, or one character over the cap. */
const badNotes = fc.constantFrom(5, null, true, ['a'], { text: 'a' }, 'x'.repeat(SCENARIO_LIMITS.maxNoteChars + 1));
const NOTE = { note: notes };

const FIELDS: Record<(typeof STEP_OPS)[number], Record<string, fc.Arbitrary<unknown>>> = {
  read: { gva: validU64, user: fc.boolean(), ac: fc.boolean(), ...NOTE },
  fetch: { gva: validU64, user: fc.boolean(), ac: fc.boolean(), ...NOTE },
  write: { gva: validU64, user: fc.boolean(), ac: fc.boolean(), value: validU64, width: fc.constantFrom(1, 2, 4, 8), ...NOTE },
  cr3: { value: validU64, noflush: fc.boolean(), ...NOTE },
  invlpg: { gva: validU64, ...NOTE },
  cr0: { wp: fc.boolean(), pg: fc.boolean(), ...NOTE },
  cr4: { pse: fc.boolean(), pae: fc.boolean(), smep: fc.boolean(), smap: fc.boolean(), pcide: fc.boolean(), ...NOTE },
  efer: { nx: fc.boolean(), lme: fc.boolean(), ...NOTE },
  'host-write': { gpa: validU64, value: validU64, width: fc.constantFrom(4, 8), ...NOTE },
  'zap-all': { ...NOTE },
};
const REQUIRED = new Set(['read.gva', 'fetch.gva', 'write.gva', 'cr3.value', 'invlpg.gva', 'host-write.gpa', 'host-write.value']);
const ALL_KEYS = ['op', ...new Set(Object.values(FIELDS).flatMap((f) => Object.keys(f)))];

/** A valid step of each op, optional keys present or not (or present as `undefined`), keys in a random order. */
const validStep = fc.constantFrom(...STEP_OPS).chain((op) => {
  const fields = FIELDS[op];
  const entries = Object.entries(fields).map(([k, arb]) => {
    const required = REQUIRED.has(`${op}.${k}`);
    const value = required ? arb : fc.oneof({ weight: 3, arbitrary: arb }, fc.constant(undefined));
    return fc.tuple(fc.constant(k), value, required ? fc.constant(true) : fc.boolean());
  });
  return fc.tuple(fc.tuple(...entries), fc.nat()).map(([list, seed]) => {
    const kept: Array<[string, unknown]> = [['op', op], ...list.filter(([, , present]) => present).map(([k, v]) => [k, v] as [string, unknown])];
    // A rotation is enough to vary where "op" and the others sit.
    const r = seed % kept.length;
    return Object.fromEntries([...kept.slice(r), ...kept.slice(0, r)]) as Record<string, unknown>;
  });
});

type Mutation =
  | { kind: 'set'; key: string; value: unknown }
  | { kind: 'setPresent'; index: number; near: { width: unknown; bool: unknown; u64: unknown; note: unknown } }
  | { kind: 'delete'; key: string }
  | { kind: 'unknown'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A near miss for one of the keys the step has: a width, boolean or number that is almost right.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('setPresent' as const),
      index: fc.nat(),
      near: fc.record({ width: widths, bool: bools, u64: fc.oneof(validU64, badU64), note: fc.oneof(notes, badNotes) }),
    }),
  },
  fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...ALL_KEYS), value: fc.oneof(anyValue, notes, badNotes) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('op'), value: fc.constantFrom(...STEP_OPS, 'READ', 'nop', '', 5, null, undefined, 'hostwrite') }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...ALL_KEYS) }),
  fc.record({ kind: fc.constant('unknown' as const), key: fc.constantFrom('gvaa', 'Gva', 'users', 'extra', '__proto__', 'constructor', 'toString', 'valu', 'with', 'notes', 'Note'), value: anyValue }),
);

const applyMutations = (step: Record<string, unknown>, ms: readonly Mutation[]): Record<string, unknown> => {
  const s = { ...step };
  for (const m of ms) {
    if (m.kind === 'delete') delete s[m.key];
    else if (m.kind === 'setPresent') {
      // One of the keys the step has (other than op, which has its own mutation).
      const keys = Object.keys(s).filter((k) => k !== 'op');
      const key = keys[m.index % Math.max(1, keys.length)];
      if (key !== undefined) s[key] = key === 'width' ? m.near.width : key === 'note' ? m.near.note : ['gva', 'gpa', 'value'].includes(key) ? m.near.u64 : m.near.bool;
    }
    // defineProperty, so that "__proto__" is an own key as JSON.parse makes it.
    else Object.defineProperty(s, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return s;
};

/** Steps: mostly valid, some with one to three mutations, a few anything at all. */
const anyStep: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validStep },
  { weight: 4, arbitrary: fc.tuple(validStep, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([s, ms]) => applyMutations(s, ms)) },
  { weight: 1, arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.anything({ maxDepth: 2, withNullPrototype: true, withObjectString: true })) },
);

describe('sim_fastStep', () => {
  it('takes a step only as zod takes it, with the same output', () => {
    fc.assert(
      fc.property(anyStep, (v) => {
        const fast = sim_fastStep(v);
        const slow = rawStep.safeParse(v);
        if (fast === undefined) {
          // Not taken: allowed for anything, but every valid plain step must be taken (or the fast path is not fast).
          if (slow.success) expect(Object.getPrototypeOf(v)).not.toBe(Object.prototype);
          return;
        }
        expect(slow.success).toBe(true);
        if (!slow.success) return;
        expect(fast).toStrictEqual(slow.data);
        expect(exact(fast)).toBe(exact(slow.data));
        // Made again as a step taken before (LazyRawSteps): the same step.
        expect(exact(sim_fastStep(v, true))).toBe(exact(fast));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes a note on every kind of step, as the last key; refuses one over the cap', () => {
    for (const op of STEP_OPS) {
      const step = { op, ...Object.fromEntries(Object.keys(FIELDS[op]).filter((k) => REQUIRED.has(`${op}.${k}`)).map((k) => [k, '0x1000'])), note: 'Look at **this**' };
      const fast = sim_fastStep(step);
      expect(fast, op).toBeDefined();
      expect(Object.keys(fast!).at(-1)).toBe('note');
      expect(exact(fast)).toBe(exact(rawStep.parse(step)));
      expect(sim_fastStep({ ...step, note: 'x'.repeat(SCENARIO_LIMITS.maxNoteChars + 1) })).toBeUndefined();
      expect(sim_fastStep({ ...step, note: 5 })).toBeUndefined();
    }
  });

  it('leaves a step with questions (issue 18) to zod: the document parses to the same result and the same errors either way', () => {
    const picks: unknown[] = [
      [{ kind: 'outcome' }, { kind: 'quadrant-of', gfn: '0x101', level: 1 }],
      [],
      [{ kind: 'guess' }],
      [{ kind: 'quadrant-of', gfn: 'nope' }],
      'outcome',
      Array.from({ length: 9 }, () => ({ kind: 'outcome' })),
      [{ kind: 'outcome', extra: 1 }],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...picks), fc.constantFrom(...STEP_OPS), fc.boolean(), (questions, op, withNote) => {
        const step = { op, ...Object.fromEntries(Object.keys(FIELDS[op]).filter((k) => REQUIRED.has(`${op}.${k}`)).map((k) => [k, '0x1000'])), questions, ...(withNote ? { note: 'n' } : {}) };
        expect(sim_fastStep(step)).toBeUndefined();
        const doc = { format: 'shadowpaging/v1', title: 't', guest: { mode: 'x86-32' }, steps: [{ op: 'read', gva: '0x1000' }, step] };
        expect(parseScenario(doc)).toStrictEqual(sim_parseScenarioZodOnly(doc));
        expect(sim_parseRaw(doc)).toStrictEqual(sim_parseRawZod(doc));
      }),
      { numRuns: 200 },
    );
  });

  it('a valid document with steps zod takes (questions) parses from its text to what zod alone makes of it', () => {
    const doc = { ...base, steps: [{ op: 'read', gva: '0x1000' }, { op: 'read', gva: '0x2000', user: true, questions: [{ kind: 'outcome' }] }, { op: 'write', gva: '0x1008', value: '0x5' }] };
    const want = sim_parseScenarioZodOnly(doc);
    expect(want.ok).toBe(true);
    expect(parseScenarioText(JSON.stringify(doc))).toStrictEqual(want);
  });

  it('takes steps read from JSON text, with a "__proto__" key refused', () => {
    const s = JSON.parse('{"op":"read","gva":"0x1000","__proto__":1}') as unknown;
    expect(sim_fastStep(s)).toBeUndefined();
    expect(rawStep.safeParse(s).success).toBe(false);
    expect(sim_fastStep(JSON.parse('{"gva":"0x1000","user":true,"op":"read"}'))).toStrictEqual({ op: 'read', gva: { lo: 0x1000, hi: 0 }, user: true });
  });
});

// ---------------------------------------------------------------------------
// Documents

const base = {
  format: 'shadowpaging/v1',
  title: 'Fast path',
  guest: { mode: 'x86-64', cr3: '0x1000' },
  memory: [{ gpa: '0x1000', entries: { '0': '0x2007' } }],
};

/** Something else wrong in the document, or not. */
const docChange = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Record<string, unknown>>({}) },
  fc.constantFrom<Record<string, unknown>>(
    { title: 5 },
    { title: '' },
    { guest: { mode: 'x86-65', cr3: '0x1000' } },
    { guest: { mode: 'x86-64' } },
    { guest: { mode: 'x86-64', cr3: '0x1000', cr0: { wpp: true } } },
    { tablesAt: '0xZ' },
    { stepz: [] },
    { step: 1, extra: true },
    { description: ['no'] },
  ),
);

/** How `steps` itself is given. */
const stepsValue = fc.oneof(
  { weight: 12, arbitrary: fc.array(anyStep, { maxLength: 10 }) },
  { weight: 3, arbitrary: fc.array(validStep, { maxLength: 30 }) },
  fc.constantFrom<unknown>('steps', 5, null, {}, undefined, [undefined], new Array(3), '<absent>'),
);

const document = fc.tuple(docChange, stepsValue).map(([change, steps]) => {
  const doc: Record<string, unknown> = { ...base, ...change };
  if (steps !== '<absent>') doc.steps = steps;
  return doc;
});

describe('documents: fast path and zod alone agree', () => {
  it('on the structure (sim_parseRaw against sim_parseRawZod)', () => {
    let failures = 0;
    fc.assert(
      fc.property(document, (doc) => {
        const fast = sim_parseRaw(doc);
        const slow = sim_parseRawZod(doc);
        expect(fast.ok).toBe(slow.ok);
        if (!fast.ok) failures++;
        if (fast.ok && slow.ok) expect(exact(fast.data)).toBe(exact(slow.data));
        if (!fast.ok && !slow.ok) expect(fast.error).toStrictEqual(slow.error);
      }),
      { numRuns: 3000 },
    );
    // Both kinds were tried.
    expect(failures).toBeGreaterThan(300);
    expect(failures).toBeLessThan(2700);
  });

  it('on the scenario, warnings and errors (parseScenario against sim_parseScenarioZodOnly)', () => {
    fc.assert(
      fc.property(document, (doc) => {
        const fast = parseScenario(doc);
        const slow = sim_parseScenarioZodOnly(doc);
        expect(describeResult(fast)).toBe(describeResult(slow));
        expect(fast).toStrictEqual(slow);
      }),
      { numRuns: 2000 },
    );
  });

  it('through JSON text as well (parseScenarioText reads the steps again when it normalizes them)', () => {
    fc.assert(
      fc.property(document, (doc) => {
        const text = JSON.stringify(doc, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
        const round = JSON.parse(text) as unknown;
        const slow = sim_parseScenarioZodOnly(round);
        expect(parseScenario(round)).toStrictEqual(slow);
        expect(parseScenarioText(text)).toStrictEqual(slow);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hand-made values', () => {
  it('reads getters, proxies, class instances and null prototypes as zod alone does', () => {
    const getter = (get: () => unknown) => Object.defineProperty({ op: 'read' }, 'gva', { enumerable: true, get });
    class Step {
      op = 'read';
      gva = '0x1000';
    }
    const steps: unknown[] = [
      getter(() => '0x1000'),
      getter(() => {
        throw new Error('boom');
      }),
      Object.assign(Object.create(null) as object, { op: 'read', gva: '0x1000' }),
      Object.assign(Object.create({ user: true }) as object, { op: 'read', gva: '0x1000' }),
      new Step(),
      new Proxy({ op: 'write', gva: '0x1000', value: 1 }, {}),
      new Proxy(
        { op: 'read', gva: '0x1000' },
        {
          ownKeys() {
            throw new Error('no keys');
          },
        },
      ),
    ];
    const answers = steps.map((step) => {
      const doc = { ...base, steps: [{ op: 'zap-all' }, step] };
      const fast = parseScenario(doc);
      expect(fast).toStrictEqual(sim_parseScenarioZodOnly(doc));
      return describeResult(fast);
    });
    expect(answers).toEqual([
      'ok, 2 steps',
      'scenario: could not read the scenario (Error: boom)',
      'ok, 2 steps',
      'ok, 2 steps',
      'ok, 2 steps',
      'ok, 2 steps',
      'scenario: could not read the scenario (Error: no keys)',
    ]);
  });
});

describe('work', () => {
  afterEach(() => vi.restoreAllMocks());

  const many = (n: number, last?: unknown): unknown[] => {
    const steps: unknown[] = Array.from({ length: n }, (_, i) =>
      i % 3 === 0 ? { op: 'read', gva: `0x${(0x400000 + i * 8).toString(16)}` } : i % 3 === 1 ? { op: 'write', gva: 0x500000 + i * 8, value: '0x1', width: 8 } : { op: 'invlpg', gva: '0x400000' },
    );
    if (last !== undefined) steps[n - 1] = last;
    return steps;
  };

  it('asks zod about no valid step, and about one step only when the last of 20,000 is wrong', () => {
    const spy = vi.spyOn(rawStep, 'safeParse');
    const good = parseScenario({ ...base, steps: many(20_000) });
    expect(good.ok).toBe(true);
    expect(spy).not.toHaveBeenCalled();

    const doc = { ...base, steps: many(20_000, { op: 'read', gva: '0xC0403123', usr: true }) };
    const bad = parseScenario(doc);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(bad).toStrictEqual(sim_parseScenarioZodOnly(doc));
    expect(bad.ok ? '' : formatScenarioError(bad.error)).toBe('steps[19999].usr: unknown key in a read step (did you mean "user"?); allowed keys: op, gva, user, ac, questions, note');
  });

  it('does not look at the steps when the rest of the document is wrong', () => {
    const spy = vi.spyOn(rawStep, 'safeParse');
    const r = parseScenario({ ...base, title: 7, steps: many(1000).map(() => ({})) });
    expect(r.ok ? '' : formatScenarioError(r.error)).toBe('title: expected a string, got 7');
    expect(spy).not.toHaveBeenCalled();
  });

  it(`takes a file of ${PARSER_LIMITS.maxFileSteps.toLocaleString('en-US')} steps, and refuses one more`, () => {
    const steps = new Array<unknown>(PARSER_LIMITS.maxFileSteps).fill({ op: 'zap-all' });
    const r = parseScenario({ ...base, steps });
    expect(r.ok && r.scenario.steps.length).toBe(PARSER_LIMITS.maxFileSteps);
    steps.push({ op: 'zap-all' });
    const over = parseScenario({ ...base, steps });
    expect(over.ok ? '' : formatScenarioError(over.error)).toBe(`steps: too many steps (1000001); at most 1000000 are allowed`);
  });
});
