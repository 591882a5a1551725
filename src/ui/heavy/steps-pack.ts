/**
 * A scenario's steps as typed-array columns, for the timeline worker's chunks
 * (protocol.ts): the page rebuilds the same step objects (same keys, in the
 * same order) from them. Why: structured clone wrote and read back each of
 * the 100,000 step objects of the 100k open one by one (~40% of what a chunk
 * cost to post); columns are transferred, and the page makes the objects in
 * one plain loop. The accesses, CR3 writes and INVLPGs (nearly every step of
 * a long scenario) go in the columns; any other step goes as itself in
 * `others`, as before.
 */
import type { Scenario } from '../../core/index.ts';

type Step = Scenario['steps'][number];

/** Rows of steps [first, first + op.length). */
export interface PackedSteps {
  readonly first: number;
  /** OPS index, or OTHER: the step is in `others`. */
  readonly op: Uint8Array;
  /** gva (read, fetch, write, invlpg) or the CR3 value. */
  readonly a: Float64Array;
  /** FLAG_* bits. */
  readonly flags: Uint8Array;
  readonly width: Uint8Array;
  readonly valueLo: Uint32Array;
  readonly valueHi: Uint32Array;
  /** The other steps, by their index. */
  readonly others: ReadonlyArray<readonly [index: number, step: Step]>;
}

const OPS = ['read', 'fetch', 'write', 'cr3', 'invlpg'] as const;
const OTHER = 255;
const FLAG_USER = 1;
const FLAG_HAS_AC = 2;
const FLAG_AC = 4;
const FLAG_HAS_VALUE = 8;
const FLAG_HAS_NOFLUSH = 16;
const FLAG_NOFLUSH = 32;

/** Steps [from, to) of `steps`, packed (fresh arrays, to transfer: packedStepBuffers). */
export function packSteps(steps: Scenario['steps'], from: number, to: number): PackedSteps {
  const n = Math.max(0, to - from);
  const p = {
    first: from,
    op: new Uint8Array(n),
    a: new Float64Array(n),
    flags: new Uint8Array(n),
    width: new Uint8Array(n),
    valueLo: new Uint32Array(n),
    valueHi: new Uint32Array(n),
    others: [] as Array<readonly [number, Step]>,
  };
  for (let k = 0; k < n; k++) {
    const s = steps[from + k]!;
    switch (s.op) {
      case 'read':
      case 'fetch':
      case 'write': {
        p.op[k] = s.op === 'read' ? 0 : s.op === 'fetch' ? 1 : 2;
        p.a[k] = s.gva;
        let f = s.user ? FLAG_USER : 0;
        if (s.ac !== undefined) f |= FLAG_HAS_AC | (s.ac ? FLAG_AC : 0);
        if (s.op === 'write') {
          p.width[k] = s.width;
          if (s.value !== undefined) {
            f |= FLAG_HAS_VALUE;
            p.valueLo[k] = s.value.lo;
            p.valueHi[k] = s.value.hi;
          }
        }
        p.flags[k] = f;
        break;
      }
      case 'cr3':
        p.op[k] = 3;
        p.a[k] = s.value;
        if (s.noflush !== undefined) p.flags[k] = FLAG_HAS_NOFLUSH | (s.noflush ? FLAG_NOFLUSH : 0);
        break;
      case 'invlpg':
        p.op[k] = 4;
        p.a[k] = s.gva;
        break;
      default:
        p.op[k] = OTHER;
        p.others.push([from + k, s]);
    }
  }
  return p;
}

/** The buffers of packed steps, to transfer with them. */
export const packedStepBuffers = (p: PackedSteps): ArrayBuffer[] => [p.op, p.a, p.flags, p.width, p.valueLo, p.valueHi].map((a) => a.buffer as ArrayBuffer);

/**
 * The steps packSteps packed, appended to `out` in order: objects with the
 * keys, and their order, the parser gives (schema.ts normalizeSteps).
 */
export function unpackSteps(p: PackedSteps, out: Step[]): void {
  let other = 0;
  for (let k = 0; k < p.op.length; k++) {
    const op = p.op[k]!;
    const f = p.flags[k]!;
    if (op === OTHER) {
      const o = p.others[other++];
      if (o?.[0] !== p.first + k) throw new Error(`internal: packed step ${o?.[0] ?? '(none)'} where step ${p.first + k} was expected`);
      out.push(o[1]);
    } else if (op <= 2) {
      const s: { op: 'read' | 'fetch' | 'write'; gva: number; user: boolean; ac?: boolean; width?: 1 | 2 | 4 | 8; value?: { lo: number; hi: number } } = { op: OPS[op] as 'read' | 'fetch' | 'write', gva: p.a[k]!, user: (f & FLAG_USER) !== 0 };
      if (f & FLAG_HAS_AC) s.ac = (f & FLAG_AC) !== 0;
      if (op === 2) {
        s.width = p.width[k] as 1 | 2 | 4 | 8;
        if (f & FLAG_HAS_VALUE) s.value = { lo: p.valueLo[k]!, hi: p.valueHi[k]! };
      }
      out.push(s as Step);
    } else if (op === 3) {
      out.push(f & FLAG_HAS_NOFLUSH ? { op: 'cr3', value: p.a[k]!, noflush: (f & FLAG_NOFLUSH) !== 0 } : { op: 'cr3', value: p.a[k]! });
    } else if (op === 4) {
      out.push({ op: 'invlpg', gva: p.a[k]! });
    } else {
      throw new Error(`internal: packed step op ${op}`);
    }
  }
}

/**
 * A scenario as it goes to a worker: everything but the steps as itself, the
 * steps as columns (packSteps), whose buffers are transferred. Why: posting a
 * Scenario made the page structure-clone each of its step objects before the
 * worker saw any (a rule switch of the 1,000,000-step file froze the page
 * ~1.1 s in postMessage); packing them is one plain loop.
 */
export interface PackedScenario {
  /** The scenario with no steps. */
  readonly head: Scenario;
  readonly steps: PackedSteps;
}

/** `s` packed (fresh arrays), and the buffers to transfer with it. */
export function packScenario(s: Scenario): { readonly packed: PackedScenario; readonly transfer: ArrayBuffer[] } {
  const steps = packSteps(s.steps, 0, s.steps.length);
  return { packed: { head: { ...s, steps: [] }, steps }, transfer: packedStepBuffers(steps) };
}

/** The scenario packScenario packed: the same keys, values and step objects (as the parser makes them). */
export function unpackScenario(p: PackedScenario): Scenario {
  const steps: Step[] = [];
  unpackSteps(p.steps, steps);
  return { ...p.head, steps };
}
