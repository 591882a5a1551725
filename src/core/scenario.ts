/**
 * The normalized scenario the core runs: plain numbers, no strings to parse.
 *
 * The JSON form users write (`shadowpaging/v1`) is parsed and validated in
 * `src/scenarios/`; this is what that parser produces and what the core
 * consumes. Keeping the two apart means the core never sees untrusted input.
 */

/** Guest paging mode. `off` is CR0.PG=0 (gva == gpa; KVM uses direct roots). */
export type GuestMode = 'x86-32' | 'pae' | 'x86-64' | 'off';

/**
 * The kernel rule sets (notes section 10.3): 5.15 before the seed patch, the
 * seed patch (5.15.y v2 3/8), 5.15.y as merged, and the merged series without
 * patch 7/8's role check on reused children ("unexpected role").
 */
export type RuleSetName = 'before' | 'seed' | 'merged' | 'merged-no-7' | 'linux-6.1';

/** A 64-bit value held as two unsigned 32-bit halves (no BigInt on hot paths). */
export interface U64 {
  readonly lo: number;
  readonly hi: number;
}

export interface GuestConfig {
  readonly mode: GuestMode;
  /** Guest CR3 (a gpa; for PAE the 32-byte aligned PDPT address). */
  readonly cr3: number;
  readonly cr0: { readonly wp: boolean };
  readonly cr4: { readonly pse: boolean; readonly smep: boolean; readonly smap: boolean; readonly pcide?: boolean };
  readonly efer: { readonly nx: boolean };
  /** Guest MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); address bits at or above it are reserved. */
  readonly maxPhyAddr: number;
}

export interface HostConfig {
  /** Host backs guest memory with 2 MiB pages (THP/hugetlbfs), so KVM may map 2 MiB sptes. */
  readonly hugePages: boolean;
  /** Size of the single memslot starting at gpa 0, in 4 KiB frames. Beyond it: MMIO. */
  readonly memslotFrames: number;
}

/** One table/frame's initial contents: entry index -> 4- or 8-byte value. */
export interface MemoryInit {
  readonly gpa: number;
  /** Entry width in bytes for this frame (4 for x86-32 tables, 8 otherwise). */
  readonly entrySize: 4 | 8;
  readonly entries: ReadonlyArray<readonly [index: number, value: U64]>;
}

export type Step =
  | {
      readonly op: 'read' | 'fetch';
      readonly gva: number;
      readonly user: boolean;
      /** EFLAGS.AC (SMAP override for supervisor data accesses). */
      readonly ac?: boolean;
    }
  | {
      readonly op: 'write';
      readonly gva: number;
      readonly user: boolean;
      readonly ac?: boolean;
      /** Bytes written (1, 2, 4 or 8). */
      readonly width: 1 | 2 | 4 | 8;
      /** The value stored; absent means "the bytes already there" (e.g. `lock or [m], 0`). */
      readonly value?: U64;
    }
  /** MOV CR3; with CR4.PCIDE, `noflush` is CR3 bit 63 (X86_CR3_PCID_NOFLUSH). */
  | { readonly op: 'cr3'; readonly value: number; readonly noflush?: boolean }
  | { readonly op: 'invlpg'; readonly gva: number }
  /** MOV CR0: only the named bits change. */
  | { readonly op: 'cr0'; readonly wp?: boolean; readonly pg?: boolean }
  /** MOV CR4: only the named bits change. */
  | {
      readonly op: 'cr4';
      readonly pse?: boolean;
      readonly pae?: boolean;
      readonly smep?: boolean;
      readonly smap?: boolean;
      readonly pcide?: boolean;
    }
  /** WRMSR EFER: only the named bits change (LMA follows LME && CR0.PG). */
  | { readonly op: 'efer'; readonly nx?: boolean; readonly lme?: boolean }
  /**
   * Guest memory written from the host side (the VMM, or a device model doing
   * DMA), not by a guest instruction: no exit, and KVM's write tracking never
   * sees it (in 5.15 only the emulator calls kvm_page_track_write()).
   */
  | { readonly op: 'host-write'; readonly gpa: number; readonly width: 4 | 8; readonly value: U64 }
  /** kvm_mmu_zap_all(): the host zaps every shadow page (kvm_arch_flush_shadow_all, as at VM teardown). */
  | { readonly op: 'zap-all' };

export interface Scenario {
  readonly title: string;
  readonly description?: string;
  readonly guest: GuestConfig;
  readonly host: HostConfig;
  readonly memory: ReadonlyArray<MemoryInit>;
  readonly steps: ReadonlyArray<Step>;
}

/** Defaults documented in the README (scenario format v1). */
export const SCENARIO_DEFAULTS = {
  cr0Wp: true,
  cr4Pse: true,
  cr4Smep: false,
  cr4Smap: false,
  eferNx: false,
  maxPhyAddr: 40,
  hugePages: false,
  /** 4 GiB of guest RAM in one memslot. */
  memslotFrames: 0x100000,
} as const;

/** Caps that keep every input bounded (no input may hang the app). */
export const SCENARIO_LIMITS = {
  maxFrames: 4096,
  maxEntriesPerFrame: 1024,
  maxSteps: 10_000,
  maxTitleChars: 200,
  maxDescriptionChars: 4000,
  /** A step's teacher note (the parser's; the core never sees notes). */
  maxNoteChars: 4000,
} as const;
