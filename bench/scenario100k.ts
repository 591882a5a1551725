/**
 * The realistic 32-bit scenario of issue 17, at any step count (1k, 10k,
 * 100k, 1M), seeded: the same count and seed give the same scenario.
 *
 * Shape (issue 17: "4 processes, 101 table frames, 16,688 entries, 69% hits,
 * 19.5% shadow faults, guest page-table edits, CR3 switches"):
 * - 4 processes, each with its own page directory (4 PDs); CR3 switches
 *   between them.
 * - 32 kernel page tables shared by the 4 PDs (PDEs 768-799, 256 entries
 *   each) and one kernel "window" table (PDE 800, gva 0xC8000000) mapping
 *   all 101 table frames, so the guest edits its page tables through it.
 * - 16 user page tables per process (PDEs 32-43 for text/data/heap, 764-767
 *   for the stack), ~128 present entries each.
 * - 4 + 32 + 1 + 64 = 101 table frames; 4 x 49 PDEs + 101 window PTEs +
 *   32 x 256 kernel PTEs + 8,199 user PTEs = 16,688 present entries.
 * - Steps: user and kernel accesses with locality (a small recently-used set
 *   per process takes most accesses), COW-style write faults on read-only
 *   pages, demand paging (an access to an unmapped page, the guest's PTE
 *   write through the window, the retry), remaps and unmaps with invlpg,
 *   reclaim batches (8 PTEs rewritten, then a CR3 reload), and CR3 switches.
 *   A process's pages stay in the first 192 entries of its tables, so unmaps
 *   and demand paging balance and the shape holds at 1M steps too.
 * - The knobs (`KNOBS`) were tuned so that under the `seed` rules about 69%
 *   of steps are hits and about 19.5% shadow faults over 100k steps; the
 *   bench measures and records the actual mix (core.scenario100k.mix.*).
 *   Measured with today's core: 100k steps 69.2% hits, 19.7% shadow faults,
 *   2.2% guest faults, 8.9% cr3/invlpg, 0% emulated (the edited user tables
 *   are unsync shadow pages, so KVM lets those writes through: hits). Shorter
 *   runs have more first-touch faults (1k: 40.7% shadow faults, 10k: 27.5%),
 *   1M fewer (17.7%).
 *
 * The benchmarks run the core `Scenario` built here directly (no parsing in
 * the measured child processes). `checkAgainstParser` parses the same
 * document (cut to the parser's file cap, PARSER_LIMITS.maxFileSteps, if it
 * is longer) and checks that the parser yields exactly the object built here
 * (same guest, host, memory and steps), so the benchmarks run what the
 * trace CLI would run from the file.
 *
 * CLI: `npx tsx bench/scenario100k.ts N [SEED] > file.json` writes the
 * shadowpaging/v1 document.
 */
import { isDeepStrictEqual } from 'node:util';
import type { MemoryInit, Scenario, Step } from '../src/core/scenario.ts';
import { PARSER_LIMITS } from '../src/scenarios/limits.ts';
import { parseScenario } from '../src/scenarios/schema.ts';

/** Probabilities per step (the rest are accesses); tuned for the mix. */
export const KNOBS = {
  cr3: 0.05,
  remap: 0.025,
  unmap: 0.02,
  demand: 0.05,
  /** Page reclaim: 8 PTEs rewritten to new frames, then a CR3 reload flushes the TLB (flush_tlb_mm). */
  reclaim: 0.008,
  kernel: 0.3,
  /** Chance that an access picks a page from the process's recently used set. */
  recent: 0.82,
  recentSize: 48,
} as const;

const PD_BASE = 0x100000;
const KPT_BASE = 0x104000;
const WINDOW_GPA = 0x124000;
const UPT_BASE = 0x125000;
const KERNEL_PDE0 = 768;
const KERNEL_TABLES = 32;
const KERNEL_ENTRIES = 256;
const WINDOW_PDE = 800;
const WINDOW_GVA = WINDOW_PDE * 0x400000;
const USER_TABLES = 16;
const USER_ENTRIES = 8199;
const MEMORY_MIB = 256;
/** Data frames are handed out from here (the tables sit below 1.25 MiB). */
const DATA_GFN0 = 0x1000;
const MAX_GFN = MEMORY_MIB * 256;

const P = 0x1;
const RW = 0x2;
const US = 0x4;
const A = 0x20;
const D = 0x40;

/** mulberry32: small, seeded, no Math.random. */
export function mulberry32(seed: number): () => number {
  let x = seed | 0;
  return () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Generated {
  readonly scenario: Scenario;
  /** The same as a shadowpaging/v1 document. */
  toJson(): Record<string, unknown>;
  readonly shape: { processes: number; tableFrames: number; presentEntries: number };
}

const userPde = (t: number): number => (t < 12 ? 32 + t : 764 + (t - 12));
const userPtGpa = (p: number, t: number): number => UPT_BASE + (p * USER_TABLES + t) * 0x1000;
/** Window index of each table frame: PDs 0-3, kernel PTs 4-35, the window 36, user PTs 37-100. */
const tableFrames = (): number[] => {
  const out: number[] = [];
  for (let p = 0; p < 4; p++) out.push(PD_BASE + p * 0x1000);
  for (let k = 0; k < KERNEL_TABLES; k++) out.push(KPT_BASE + k * 0x1000);
  out.push(WINDOW_GPA);
  for (let p = 0; p < 4; p++) for (let t = 0; t < USER_TABLES; t++) out.push(userPtGpa(p, t));
  return out;
};

export function generateScenario100k(steps: number, seed = 17): Generated {
  const rnd = mulberry32(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const frames = tableFrames();
  const windowIndex = new Map(frames.map((g, i) => [g, i]));
  let nextGfn = DATA_GFN0;
  const allocGfn = (): number => {
    const g = nextGfn;
    nextGfn = nextGfn + 1 >= MAX_GFN ? DATA_GFN0 + KERNEL_TABLES * KERNEL_ENTRIES : nextGfn + 1;
    return g;
  };

  // Guest memory as the generator's model of it: gpa of a table -> 1024 entries.
  const mem = new Map<number, Uint32Array>();
  for (const g of frames) mem.set(g, new Uint32Array(1024));
  for (let p = 0; p < 4; p++) {
    const pd = mem.get(PD_BASE + p * 0x1000)!;
    for (let k = 0; k < KERNEL_TABLES; k++) pd[KERNEL_PDE0 + k] = (KPT_BASE + k * 0x1000) | P | RW | A;
    pd[WINDOW_PDE] = WINDOW_GPA | P | RW | A;
    for (let t = 0; t < USER_TABLES; t++) pd[userPde(t)] = userPtGpa(p, t) | P | RW | US | A;
  }
  for (let k = 0; k < KERNEL_TABLES; k++) {
    const pt = mem.get(KPT_BASE + k * 0x1000)!;
    for (let i = 0; i < KERNEL_ENTRIES; i++) pt[i] = (allocGfn() * 0x1000) | P | RW | A | D;
  }
  const win = mem.get(WINDOW_GPA)!;
  frames.forEach((g, i) => (win[i] = g | P | RW | A | D));
  // 8,199 user PTEs over 64 tables: 128 each, the first 7 tables one more.
  for (let p = 0; p < 4; p++) {
    for (let t = 0; t < USER_TABLES; t++) {
      const pt = mem.get(userPtGpa(p, t))!;
      const n = 128 + (p * USER_TABLES + t < USER_ENTRIES - 64 * 128 ? 1 : 0);
      for (let i = 0; i < n; i++) {
        // Text (table 0): read-only; the rest writable, about half already dirty.
        const flags = t === 0 ? P | US | A : P | RW | US | A | (rnd() < 0.5 ? D : 0);
        pt[i] = (allocGfn() * 0x1000) | flags;
      }
    }
  }
  for (const f of mem.values()) for (let i = 0; i < f.length; i++) f[i] = f[i]! >>> 0;
  let present = 0;
  for (const f of mem.values()) for (const v of f) if (v & P) present++;
  // The memory the scenario starts with: the tables before any step edits them.
  const initial = new Map([...mem].map(([g, f]) => [g, f.slice()]));

  const gvaOf = (t: number, i: number): number => userPde(t) * 0x400000 + i * 0x1000;
  const pteWindowGva = (p: number, t: number, i: number): number => WINDOW_GVA + windowIndex.get(userPtGpa(p, t))! * 0x1000 + i * 4;
  const out: Step[] = [];
  const queue: Step[] = [];
  let cur = 0;
  const recent: Array<Array<[number, number]>> = [[], [], [], []];
  const touch = (p: number, t: number, i: number): void => {
    const r = recent[p]!;
    if (r.length < KNOBS.recentSize) r.push([t, i]);
    else r[pick(r.length)] = [t, i];
  };
  const pte = (p: number, t: number, i: number): number => mem.get(userPtGpa(p, t))![i]!;
  const setPte = (p: number, t: number, i: number, v: number): Step => {
    mem.get(userPtGpa(p, t))![i] = v >>> 0;
    return { op: 'write', gva: pteWindowGva(p, t, i), user: false, width: 4, value: { lo: v >>> 0, hi: 0 } };
  };
  const access = (t: number, i: number, kind: 'read' | 'write' | 'fetch', n: number): Step => {
    const gva = gvaOf(t, i) + pick(1024) * 4;
    if (kind === 'write') return { op: 'write', gva, user: true, width: 4, value: { lo: n >>> 0, hi: 0 } };
    return { op: kind, gva, user: true };
  };
  // A process's pages live in the first REGION entries of each table: unmaps
  // free slots there and demand paging fills them, so the count stays near
  // the initial ~128 a table at any step count.
  const REGION = 192;
  const randomPresent = (p: number): [number, number] => {
    for (;;) {
      const t = pick(USER_TABLES);
      const i = pick(REGION);
      if (pte(p, t, i) & P) return [t, i];
    }
  };

  while (out.length < steps) {
    const n = out.length;
    if (queue.length) {
      out.push(queue.shift()!);
      continue;
    }
    let r = rnd();
    if ((r -= KNOBS.cr3) < 0) {
      cur = (cur + 1 + pick(3)) % 4;
      out.push({ op: 'cr3', value: PD_BASE + cur * 0x1000 });
      continue;
    }
    if ((r -= KNOBS.remap) < 0) {
      // mremap/page migration: a present page gets a new frame; invlpg; the page is used again.
      const [t, i] = randomPresent(cur);
      const old = pte(cur, t, i);
      out.push(setPte(cur, t, i, (allocGfn() * 0x1000) | (old & (RW | US)) | P | A));
      queue.push({ op: 'invlpg', gva: gvaOf(t, i) }, access(t, i, 'read', n));
      touch(cur, t, i);
      continue;
    }
    if ((r -= KNOBS.unmap) < 0) {
      const [t, i] = randomPresent(cur);
      out.push(setPte(cur, t, i, 0));
      queue.push({ op: 'invlpg', gva: gvaOf(t, i) });
      continue;
    }
    if ((r -= KNOBS.reclaim) < 0) {
      // Reclaim and refault in one go, as Linux batches it: rewrite a few
      // PTEs, then reload CR3 (the same value) instead of an invlpg per page.
      for (let k = 0; k < 8; k++) {
        const [t, i] = randomPresent(cur);
        out.push(setPte(cur, t, i, (allocGfn() * 0x1000) | (pte(cur, t, i) & (RW | US)) | P));
        touch(cur, t, i);
      }
      out.push({ op: 'cr3', value: PD_BASE + cur * 0x1000 });
      continue;
    }
    if ((r -= KNOBS.demand) < 0) {
      // Demand paging: touch an unmapped page (guest #PF), map it, retry.
      const t = 1 + pick(USER_TABLES - 1);
      let i = pick(REGION);
      if (pte(cur, t, i) & P) i = pick(REGION);
      if (pte(cur, t, i) & P) continue;
      out.push(access(t, i, 'write', n));
      queue.push(setPte(cur, t, i, (allocGfn() * 0x1000) | P | RW | US), access(t, i, 'write', n));
      touch(cur, t, i);
      continue;
    }
    if (r - KNOBS.kernel < 0) {
      // Kernel data: a hot quarter of the direct map takes most accesses.
      const k = rnd() < 0.8 ? pick(KERNEL_TABLES / 4) : pick(KERNEL_TABLES);
      const gva = (KERNEL_PDE0 + k) * 0x400000 + pick(KERNEL_ENTRIES) * 0x1000 + pick(1024) * 4;
      out.push(rnd() < 0.7 ? { op: 'read', gva, user: false } : { op: 'write', gva, user: false, width: 4, value: { lo: n >>> 0, hi: 0 } });
      continue;
    }
    const rec = recent[cur]!;
    const [t, i] = rec.length && rnd() < KNOBS.recent ? rec[pick(rec.length)]! : randomPresent(cur);
    const v = pte(cur, t, i);
    if (!(v & P)) {
      out.push(access(t, i, 'read', n));
      continue;
    }
    const kind = t === 0 ? (rnd() < 0.6 ? 'fetch' : 'read') : rnd() < 0.65 ? 'read' : 'write';
    if (kind === 'write' && !(v & RW)) {
      // Copy on write: the write faults in the guest, the guest maps a private copy, the write is retried.
      out.push(access(t, i, 'write', n));
      queue.push(setPte(cur, t, i, (allocGfn() * 0x1000) | P | RW | US | A), access(t, i, 'write', n));
    } else out.push(access(t, i, kind, n));
    touch(cur, t, i);
  }
  out.length = steps;

  const memory: MemoryInit[] = [...initial.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([gpa, words]) => ({
      gpa,
      entrySize: 4,
      entries: [...words].flatMap((w, i) => (w ? [[i, { lo: w, hi: 0 }] as const] : [])),
    }));
  const scenario: Scenario = {
    title: `Issue 17 benchmark: 4 processes, ${steps} steps (seed ${seed})`,
    guest: { mode: 'x86-32', cr3: PD_BASE, cr0: { wp: true }, cr4: { pse: true, smep: false, smap: false }, efer: { nx: false }, maxPhyAddr: 40 },
    host: { hugePages: false, memslotFrames: MEMORY_MIB * 256 },
    memory,
    steps: out,
  };
  return { scenario, toJson: () => toJson(scenario), shape: { processes: 4, tableFrames: frames.length, presentEntries: present } };

}

const hx = (v: number): string => `0x${v.toString(16)}`;

function stepJson(s: Step): Record<string, unknown> {
  switch (s.op) {
    case 'read':
    case 'fetch':
      return { op: s.op, gva: hx(s.gva), ...(s.user ? { user: true } : {}) };
    case 'write':
      return { op: 'write', gva: hx(s.gva), ...(s.user ? { user: true } : {}), ...(s.value ? { value: hx(s.value.lo) } : {}) };
    case 'cr3':
      return { op: 'cr3', value: hx(s.value) };
    case 'invlpg':
      return { op: 'invlpg', gva: hx(s.gva) };
    default:
      throw new Error(`scenario100k: no JSON form for ${s.op}`);
  }
}

function toJson(s: Scenario): Record<string, unknown> {
  return {
    format: 'shadowpaging/v1',
    title: s.title,
    guest: { mode: 'x86-32', cr3: hx(s.guest.cr3) },
    host: { memoryMiB: s.host.memslotFrames / 256 },
    memory: s.memory.map((f) => ({ gpa: hx(f.gpa), entries: Object.fromEntries(f.entries.map(([i, v]) => [String(i), hx(v.lo)])) })),
    steps: s.steps.map(stepJson),
  };
}

/**
 * Parses the document cut to the parser's step cap and compares it with the
 * directly built Scenario (so a core benchmark on more steps than the cap runs
 * what the parser would have produced). Throws on any difference.
 */
export function checkAgainstParser(g: Generated): void {
  const doc = g.toJson();
  const cap = Math.min(g.scenario.steps.length, PARSER_LIMITS.maxFileSteps);
  const parsed = parseScenario({ ...doc, steps: (doc.steps as unknown[]).slice(0, cap) });
  if (!parsed.ok) throw new Error(`scenario100k: the parser refuses the generated scenario: ${parsed.error.message}`);
  const direct = { ...g.scenario, steps: g.scenario.steps.slice(0, cap) };
  if (!isDeepStrictEqual(parsed.scenario, direct)) throw new Error('scenario100k: the parser builds a different scenario from the same document');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? '100000');
  const seed = Number(process.argv[3] ?? '17');
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write('usage: npx tsx bench/scenario100k.ts STEPS [SEED] > file.json\n');
    process.exit(2);
  }
  const g = generateScenario100k(n, seed);
  checkAgainstParser(g);
  process.stdout.write(`${JSON.stringify(g.toJson())}\n`);
}
