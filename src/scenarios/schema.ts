/**
 * Scenario format v1 (`"format": "shadowpaging/v1"`): JSON in, a validated,
 * normalized core `Scenario` out. See docs/scenario-format.md.
 *
 * Two passes: zod checks the document's structure (raw.ts), then this file
 * checks what depends on other fields (the guest mode, alignment, ranges,
 * RAM size, frame and mapping conflicts) and builds the Scenario.
 *
 * Nothing here throws to the caller: every failure is `{ ok: false, error }`.
 */
import type { GuestMode, MemoryInit, Scenario, Step, U64 } from '../core/scenario.ts';
import { SCENARIO_DEFAULTS, SCENARIO_LIMITS } from '../core/scenario.ts';
import { checkCr3, linearAddress, MAX_PHYS_BITS, physAddress } from './address.ts';
import { fail, ScenarioFailure, type ScenarioError } from './errors.ts';
import { describeValue, formatHex, pow2, u64Below } from './hex.ts';
import { PARSER_LIMITS } from './limits.ts';
import { buildMappings, DEFAULT_TABLES_AT } from './mappings.ts';
import { FORMAT_V1, type RawScenario } from './raw.ts';
import { type RawParseLazy, type RawStepList, sim_parseRaw, sim_parseRawZod } from './raw-parse.ts';

export type { ScenarioError } from './errors.ts';
export { formatScenarioError } from './errors.ts';
export { FORMAT_V1 } from './raw.ts';
export { PARSER_LIMITS } from './limits.ts';

export type ParseResult =
  | { readonly ok: true; readonly scenario: Scenario; readonly warnings: string[] }
  | { readonly ok: false; readonly error: ScenarioError };

/** Guest RAM size when `host.memoryMiB` is omitted (4096 MiB, i.e. SCENARIO_DEFAULTS.memslotFrames). */
export const DEFAULT_MEMORY_MIB = SCENARIO_DEFAULTS.memslotFrames / 256;

/** Parses scenario JSON text. Never throws. */
export function parseScenarioText(text: string): ParseResult {
  try {
    if (typeof text !== 'string') return failure('', `expected JSON text, got ${describeValue(text)}`);
    if (text.length > PARSER_LIMITS.maxTextChars) {
      return failure('', `the text is too long (${text.length} characters); at most ${PARSER_LIMITS.maxTextChars}`);
    }
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (e) {
      return failure('', `not valid JSON: ${jsonErrorText(e, body)}`);
    }
    // Plain data from JSON.parse: its steps can be read again when normalized (raw-parse.ts LazyRawSteps).
    return parseWith(value, (v) => sim_parseRaw(v, true));
  } catch (e) {
    return unexpected(e);
  }
}

/** Validates an already-parsed JSON value. Never throws. */
export function parseScenario(input: unknown): ParseResult {
  return parseWith(input, sim_parseRaw);
}

/**
 * parseScenario with zod checking every step (no fast path): the reference
 * the fast path is tested against (steps-fast.test.ts) and timed against
 * (bench/parse.ts). Never throws.
 */
export function sim_parseScenarioZodOnly(input: unknown): ParseResult {
  return parseWith(input, sim_parseRawZod);
}

function parseWith(input: unknown, parseRaw: (input: unknown) => RawParseLazy): ParseResult {
  try {
    checkFormat(input);
    const parsed = parseRaw(input);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    const warnings: string[] = [];
    const scenario = normalize(parsed.data, warnings);
    if (warnings.length > PARSER_LIMITS.maxWarnings) {
      const extra = warnings.length - PARSER_LIMITS.maxWarnings;
      warnings.length = PARSER_LIMITS.maxWarnings;
      warnings.push(`… and ${extra} more warning${extra === 1 ? '' : 's'}`);
    }
    return { ok: true, scenario, warnings };
  } catch (e) {
    return unexpected(e);
  }
}

function failure(path: string, message: string): ParseResult {
  return { ok: false, error: { path, message } };
}

function unexpected(e: unknown): ParseResult {
  if (e instanceof ScenarioFailure) return { ok: false, error: e.error };
  // Stack overflows, throwing getters/proxies in hand-made inputs and the like.
  let detail = 'unknown error';
  try {
    detail = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 200) : describeValue(e);
  } catch {
    /* keep the generic text */
  }
  return failure('', `could not read the scenario (${detail})`);
}

function jsonErrorText(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message.slice(0, 200) : 'syntax error';
  const m = /position (\d+)/.exec(msg);
  if (m === null || /line \d+/.test(msg)) return msg;
  const pos = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${msg} (line ${line} column ${column})`;
}

/** The version check comes first, so a future format gets a clear "unsupported" error. */
function checkFormat(input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail('', `expected a JSON object with "format": "${FORMAT_V1}", got ${describeValue(input)}`);
  }
  const format: unknown = Object.getOwnPropertyDescriptor(input, 'format')?.value;
  if (format === undefined) fail('format', `missing (required): add "format": "${FORMAT_V1}"`);
  if (typeof format !== 'string') fail('format', `expected the string "${FORMAT_V1}", got ${describeValue(format)}`);
  if (format === FORMAT_V1) return;
  if (/^shadowpaging\/v\d+$/.test(format)) {
    fail('format', `unsupported format version ${describeValue(format)}; this version of shadowpaging reads "${FORMAT_V1}"`);
  }
  fail('format', `unknown format ${describeValue(format)}; expected "${FORMAT_V1}"`);
}

// ---------------------------------------------------------------------------
// Normalization

interface ModeState {
  pg: boolean;
  pae: boolean;
  lme: boolean;
  pcide: boolean;
  cr3: number;
}

function modeOf(s: ModeState): GuestMode {
  if (!s.pg) return 'off';
  if (s.lme) return 'x86-64'; // LMA = LME && PG, as the core computes it
  return s.pae ? 'pae' : 'x86-32';
}

function defaultEntrySize(mode: GuestMode): 4 | 8 {
  return mode === 'x86-32' ? 4 : 8;
}

interface FrameOut {
  readonly gpa: number;
  readonly entrySize: 4 | 8;
  readonly entries: Map<number, U64>;
  /** Index in the `memory` array, or -1 for a frame built from mappings. */
  readonly source: number;
}

function normalize(raw: Omit<RawScenario, 'steps'> & { readonly steps: RawStepList }, warnings: string[]): Scenario {
  if (raw.title.trim() === '') fail('title', 'must not be empty');
  const g = raw.guest;
  const mode = g.mode;
  const maxPhyAddr = g.maxPhyAddr ?? SCENARIO_DEFAULTS.maxPhyAddr;
  const pse = g.cr4?.pse ?? SCENARIO_DEFAULTS.cr4Pse;
  const eferNx = g.efer?.nx ?? SCENARIO_DEFAULTS.eferNx;
  const pcide = g.cr4?.pcide ?? false;
  if (pcide && mode !== 'x86-64') fail(['guest', 'cr4', 'pcide'], 'PCIDs exist only in long mode (mode "x86-64")');

  const memoryMiB = raw.host?.memoryMiB ?? DEFAULT_MEMORY_MIB;
  const ramEnd = memoryMiB * 0x10_0000;
  if (ramEnd > pow2(maxPhyAddr)) {
    fail(
      ['host', 'memoryMiB'],
      `${memoryMiB} MiB of RAM does not fit below 2^${maxPhyAddr} (guest.maxPhyAddr); at most ${pow2(maxPhyAddr) / 0x10_0000} MiB`,
    );
  }
  const ramText = `guest RAM ends at ${formatHex(ramEnd)} (host.memoryMiB = ${memoryMiB})`;

  // guest.cr3 (may be filled in by the mappings builder below).
  let cr3: number | undefined;
  if (g.cr3 !== undefined) {
    cr3 = physAddress(g.cr3, MAX_PHYS_BITS, ['guest', 'cr3'], 'physical addresses have at most 52 bits');
    checkCr3(cr3, mode, maxPhyAddr, ['guest', 'cr3'], '', pcide);
  }

  // Raw memory frames.
  const frames = new Map<number, FrameOut>();
  const rawFrames = raw.memory ?? [];
  for (let j = 0; j < rawFrames.length; j++) {
    const f = rawFrames[j]!;
    const gpa = physAddress(f.gpa, MAX_PHYS_BITS, ['memory', j, 'gpa'], 'physical addresses have at most 52 bits');
    if (gpa % 4096 !== 0) fail(['memory', j, 'gpa'], `${formatHex(gpa)} is not 4 KiB aligned (a frame address ends in 000)`);
    if (gpa + 4096 > ramEnd) {
      fail(['memory', j, 'gpa'], `${formatHex(gpa)} is outside guest RAM: ${ramText}, and frames beyond it are MMIO with no contents`);
    }
    const dup = frames.get(gpa);
    if (dup !== undefined) fail(['memory', j, 'gpa'], `${formatHex(gpa)} is listed twice (also memory[${dup.source}])`);
    const entrySize = f.entrySize ?? defaultEntrySize(mode);
    const last = 4096 / entrySize - 1;
    const entries = new Map<number, U64>();
    for (const [index, value] of f.entries) {
      const at = ['memory', j, 'entries', String(index)];
      if (index > last) {
        fail(at, `index ${index} is out of range: a frame of ${entrySize}-byte entries has indexes 0 to ${last}`);
      }
      if (entrySize === 4 && !u64Below(value, 32)) {
        fail(at, `${formatHex(value)} does not fit in a 4-byte entry (this frame holds ${mode === 'x86-32' && f.entrySize === undefined ? 'x86-32 tables' : '4-byte entries'})`);
      }
      entries.set(index, value);
    }
    frames.set(gpa, { gpa, entrySize, entries, source: j });
  }

  // The mappings form.
  const mappings = raw.mappings ?? [];
  if (raw.tablesAt !== undefined && mappings.length === 0) {
    warnings.push('tablesAt: ignored, as there are no mappings to build tables for');
  }
  if (mappings.length > 0) {
    if (mode === 'off') {
      fail('mappings', 'a guest with paging off has no page tables to build; choose a paging guest.mode or give the tables in "memory"');
    }
    let tablesAt = DEFAULT_TABLES_AT;
    if (raw.tablesAt !== undefined) {
      tablesAt = physAddress(raw.tablesAt, MAX_PHYS_BITS, ['tablesAt'], 'physical addresses have at most 52 bits');
      if (tablesAt % 4096 !== 0) fail('tablesAt', `${formatHex(tablesAt)} is not 4 KiB aligned`);
      if (tablesAt >= ramEnd) fail('tablesAt', `${formatHex(tablesAt)} is outside guest RAM: ${ramText}`);
    }
    const built = buildMappings(mappings, {
      mode,
      cr3,
      maxPhyAddr,
      pse,
      eferNx,
      ramEnd,
      tablesAt,
      taken: new Set(frames.keys()),
      frameBudget: SCENARIO_LIMITS.maxFrames - frames.size,
    });
    if (cr3 === undefined) checkCr3(built.cr3, mode, maxPhyAddr, ['tablesAt'], 'the root table would go at ');
    cr3 = built.cr3;
    warnings.push(...built.warnings);
    for (const bf of built.frames) {
      const existing = frames.get(bf.gpa);
      if (existing === undefined) {
        const entries = new Map<number, U64>();
        for (const [index, e] of bf.entries) entries.set(index, e.value);
        frames.set(bf.gpa, { gpa: bf.gpa, entrySize: bf.entrySize, entries, source: -1 });
        continue;
      }
      // Only the root (cr3's frame) can also be a listed frame: merge, refusing conflicts.
      const j = existing.source;
      if (existing.entrySize !== bf.entrySize) {
        fail(
          ['memory', j, 'entrySize'],
          `the frame at ${formatHex(bf.gpa)} holds ${existing.entrySize}-byte entries, but the tables built from mappings there use ${bf.entrySize}-byte entries`,
        );
      }
      for (const [index, e] of bf.entries) {
        const mine = existing.entries.get(index);
        if (mine === undefined) existing.entries.set(index, e.value);
        else if (mine.lo !== e.value.lo || mine.hi !== e.value.hi) {
          fail(
            ['mappings', e.mapping],
            `needs entry ${index} of the frame at ${formatHex(bf.gpa)} to be ${formatHex(e.value)}, but memory[${j}].entries.${index} sets it to ${formatHex(mine)}`,
          );
        }
      }
    }
    if (frames.size > SCENARIO_LIMITS.maxFrames) {
      fail('mappings', `too many frames (${frames.size}); memory and the tables built for mappings may total at most ${SCENARIO_LIMITS.maxFrames}`);
    }
  }

  if (cr3 === undefined) {
    if (mode !== 'off') {
      fail(['guest', 'cr3'], 'missing (required for a paging guest): give the top-level page table\'s address, or use "mappings" and omit cr3 to have one placed for you');
    }
    cr3 = 0;
  }
  if (mode !== 'off' && !frames.has(cr3 - (cr3 % 4096))) {
    warnings.push(`guest.cr3: no memory frame is given at ${formatHex(cr3 - (cr3 % 4096))}, so the top-level table is all zeros and every access page-faults`);
  }

  const memory: MemoryInit[] = [...frames.values()]
    .sort((a, b) => a.gpa - b.gpa)
    .map((f) => ({
      gpa: f.gpa,
      entrySize: f.entrySize,
      entries: [...f.entries.entries()].sort((a, b) => a[0] - b[0]).map(([i, v]) => [i, { lo: v.lo, hi: v.hi }] as const),
    }));

  const steps = normalizeSteps(raw.steps, {
    pg: mode !== 'off',
    pae: mode === 'pae' || mode === 'x86-64',
    lme: mode === 'x86-64',
    pcide,
    cr3,
  }, maxPhyAddr, ramEnd, warnings);

  const scenario: Scenario = {
    title: raw.title,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    guest: {
      mode,
      cr3,
      cr0: { wp: g.cr0?.wp ?? SCENARIO_DEFAULTS.cr0Wp },
      cr4: {
        pse,
        smep: g.cr4?.smep ?? SCENARIO_DEFAULTS.cr4Smep,
        smap: g.cr4?.smap ?? SCENARIO_DEFAULTS.cr4Smap,
        ...(pcide ? { pcide } : {}),
      },
      efer: { nx: eferNx },
      maxPhyAddr,
    },
    host: {
      hugePages: raw.host?.hugePages ?? SCENARIO_DEFAULTS.hugePages,
      memslotFrames: memoryMiB * 256,
    },
    memory,
    steps,
  };
  return scenario;
}

function fitsWidth(v: U64, width: 1 | 2 | 4 | 8): boolean {
  return width === 8 || u64Below(v, width * 8);
}

/** Where step `i` (or its `field`) is, for a message. */
function stepAt(i: number, field?: string): readonly PropertyKey[] {
  return field === undefined ? ['steps', i] : ['steps', i, field];
}

/**
 * Steps are checked against the paging mode in force when they run: the
 * parser follows CR0.PG, CR4.PAE and EFER.LME through the steps the way the
 * core does (bits change as written; long mode = LME && PG). Changes a real
 * CPU would refuse with #GP are kept but produce a warning.
 *
 * A file may have 1,000,000 steps, so the loop makes no closure and no
 * throwaway object per step (the accesses, most of a long file, are built
 * key by key, in the order the spreads they replace gave).
 */
function normalizeSteps(raw: RawStepList, state: ModeState, maxPhyAddr: number, ramEnd: number, warnings: string[]): Step[] {
  const gp = (i: number, field: string, why: string): void => {
    warnings.push(`steps[${i}].${field}: ${why}; KVM injects #GP here and the change does not take effect`);
  };
  const out: Step[] = [];
  for (let i = 0; i < raw.length; i++) {
    const s = raw.at(i)!;
    const mode = modeOf(state);
    switch (s.op) {
      case 'read':
      case 'fetch': {
        const gva = linearAddress(s.gva, mode, stepAt(i, 'gva'));
        const step: { op: 'read' | 'fetch'; gva: number; user: boolean; ac?: boolean } = { op: s.op, gva, user: s.user ?? false };
        if (s.ac !== undefined) step.ac = s.ac;
        out.push(step);
        break;
      }
      case 'write': {
        const gva = linearAddress(s.gva, mode, stepAt(i, 'gva'));
        const width = s.width ?? defaultEntrySize(mode);
        if ((gva % 4096) + width > 4096) {
          fail(stepAt(i, 'gva'), `a ${width}-byte write at ${formatHex(gva)} would cross a 4 KiB page boundary; split it into two writes`);
        }
        if (s.value !== undefined && !fitsWidth(s.value, width)) {
          fail(stepAt(i, 'value'), `${formatHex(s.value)} does not fit in a ${width}-byte write${s.width === undefined ? ` (the default width in a ${mode} guest; set "width")` : ''}`);
        }
        // width after ac: the key order the spreads gave.
        const step: { op: 'write'; gva: number; user: boolean; ac?: boolean; width?: 1 | 2 | 4 | 8; value?: U64 } = { op: 'write', gva, user: s.user ?? false };
        if (s.ac !== undefined) step.ac = s.ac;
        step.width = width;
        if (s.value !== undefined) step.value = { lo: s.value.lo, hi: s.value.hi };
        out.push(step as Step);
        break;
      }
      case 'cr3': {
        const value = physAddress(s.value, MAX_PHYS_BITS, stepAt(i, 'value'), 'physical addresses have at most 52 bits');
        checkCr3(value, mode, maxPhyAddr, stepAt(i, 'value'), '', state.pcide);
        if (s.noflush !== undefined && !state.pcide) {
          warnings.push(`steps[${i}].noflush: only meaningful with cr4.pcide = 1 (CR3 bit 63 is ignored otherwise)`);
        }
        state.cr3 = value;
        out.push({ op: 'cr3', value, ...(s.noflush !== undefined ? { noflush: s.noflush } : {}) });
        break;
      }
      case 'invlpg':
        out.push({ op: 'invlpg', gva: linearAddress(s.gva, mode, stepAt(i, 'gva')) });
        break;
      case 'cr0': {
        if (s.wp === undefined && s.pg === undefined) fail(stepAt(i), 'a cr0 step must set "wp" and/or "pg"');
        if (s.pg !== undefined && s.pg !== state.pg) {
          if (s.pg && state.lme && !state.pae) gp(i, 'pg', 'enabling paging with efer.lme = 1 needs cr4.pae = 1 first');
          else if (!s.pg && state.pcide) gp(i, 'pg', 'paging cannot be turned off while cr4.pcide = 1');
          else {
            state.pg = s.pg;
            checkCr3(state.cr3, modeOf(state), maxPhyAddr, stepAt(i, 'pg'), 'paging starts with cr3 = ', state.pcide);
          }
        }
        out.push({ op: 'cr0', ...(s.wp !== undefined ? { wp: s.wp } : {}), ...(s.pg !== undefined ? { pg: s.pg } : {}) });
        break;
      }
      case 'cr4': {
        if (s.pse === undefined && s.pae === undefined && s.smep === undefined && s.smap === undefined && s.pcide === undefined) {
          fail(stepAt(i), 'a cr4 step must set at least one of "pse", "pae", "smep", "smap", "pcide"');
        }
        if (s.pcide !== undefined && s.pcide !== state.pcide) {
          if (s.pcide && (modeOf(state) !== 'x86-64' || state.cr3 % 4096 !== 0)) {
            gp(i, 'pcide', 'cr4.pcide can only be set in long mode with cr3[11:0] = 0');
          } else state.pcide = s.pcide;
        }
        if (s.pae !== undefined && s.pae !== state.pae) {
          if (!s.pae && state.pg && state.lme) gp(i, 'pae', 'cr4.pae cannot be cleared in long mode');
          else {
            state.pae = s.pae;
            checkCr3(state.cr3, modeOf(state), maxPhyAddr, stepAt(i, 'pae'), 'the new paging mode starts with cr3 = ');
          }
        }
        out.push({
          op: 'cr4',
          ...(s.pse !== undefined ? { pse: s.pse } : {}),
          ...(s.pae !== undefined ? { pae: s.pae } : {}),
          ...(s.smep !== undefined ? { smep: s.smep } : {}),
          ...(s.smap !== undefined ? { smap: s.smap } : {}),
          ...(s.pcide !== undefined ? { pcide: s.pcide } : {}),
        });
        break;
      }
      case 'efer': {
        if (s.nx === undefined && s.lme === undefined) fail(stepAt(i), 'an efer step must set "nx" and/or "lme"');
        if (s.lme !== undefined && s.lme !== state.lme) {
          if (state.pg) gp(i, 'lme', 'efer.lme can only change while paging is off (cr0.pg = 0)');
          else {
            state.lme = s.lme;
            checkCr3(state.cr3, modeOf(state), maxPhyAddr, stepAt(i, 'lme'), 'the new paging mode starts with cr3 = ');
          }
        }
        out.push({ op: 'efer', ...(s.nx !== undefined ? { nx: s.nx } : {}), ...(s.lme !== undefined ? { lme: s.lme } : {}) });
        break;
      }
      case 'host-write': {
        const width = s.width ?? defaultEntrySize(mode);
        const gpa = physAddress(s.gpa, MAX_PHYS_BITS, stepAt(i, 'gpa'), 'physical addresses have at most 52 bits');
        if (gpa % width !== 0) fail(stepAt(i, 'gpa'), `a ${width}-byte host write must be ${width}-byte aligned; ${formatHex(gpa)} is not`);
        if (gpa >= ramEnd) fail(stepAt(i, 'gpa'), `${formatHex(gpa)} is outside guest RAM (it ends at ${formatHex(ramEnd)}); the host can only write RAM`);
        if (!fitsWidth(s.value, width)) {
          fail(stepAt(i, 'value'), `${formatHex(s.value)} does not fit in a ${width}-byte write${s.width === undefined ? ` (the default width in a ${mode} guest; set "width")` : ''}`);
        }
        out.push({ op: 'host-write', gpa, width, value: { lo: s.value.lo, hi: s.value.hi } });
        break;
      }
      case 'zap-all':
        out.push({ op: 'zap-all' });
        break;
    }
  }
  return out;
}
