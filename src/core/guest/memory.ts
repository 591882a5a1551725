/**
 * Guest physical memory: sparse 4 KiB frames, little endian.
 *
 * A frame is 1024 words (a CowArray: copied on write 32 words at a time);
 * 8-byte entries are two words (low word first), which is exactly the x86
 * in-memory layout, so 4-byte and 8-byte views of one frame agree byte for byte.
 */
import { PAGE_SHIFT, type U64 } from '../bits.ts';
import { type ChunkPack, CowArray, type CowChunks, newOwnerToken } from '../cow-array.ts';
import { type MapDelta, PMap } from '../pmap.ts';

/** GuestMemory.frameIndex covers gfns below this (4 GiB of guest physical memory). */
const INDEX_GFNS = 2 ** 20;
/** GuestMemory.frameIndex is used from this many lookups on (a seek's replay of up to 31 steps makes ~100). */
let indexAfter = 4096;

/** For tests: use the frame index from `n` lookups on (0: from the first), to check it as well as the map. */
export function sim_setFrameIndexAfter(n: number): void {
  indexAfter = n;
}

export class GuestMemory {
  /** gfn -> frame; a persistent map, so clone() costs O(1) however many frames there are. */
  private readonly frames: PMap<CowArray>;
  /** The frames this instance may write in place carry this token (CowArray.owner); the rest are shared with a copy (copy-on-write). */
  private token = newOwnerToken();
  /**
   * Frames this instance has looked up (null: none at that gfn), for gfns
   * below INDEX_GFNS (4 GiB), in blocks of 64 gfns made when first used:
   * two array reads instead of a walk through the persistent map's nodes,
   * which was most of a data access's cost on the 100k bench. Made only after
   * `indexAfter` lookups, and in small blocks: a copy made to replay a few
   * steps (a seek, a step's events) looks up a few frames, and building an
   * index for them cost more than it saved (and more young-generation
   * garbage per seek). A cache of `frames` as this instance sees it, kept in
   * step by frameForWrite (the only place that changes `frames`); a copy
   * starts empty.
   */
  private readonly frameIndex: Array<Array<CowArray | null | undefined> | undefined> = [];
  private frameLookups = 0;
  /** Whether frameIndex is in use (from `indexAfter` lookups on; then for good, whatever the threshold becomes). */
  private frameIndexing = false;

  constructor(frames?: PMap<CowArray>) {
    this.frames = frames ?? new PMap();
  }

  /** A copy that shares every frame until one side writes it. */
  clone(): GuestMemory {
    this.token = newOwnerToken();
    return new GuestMemory(this.frames.clone());
  }

  /** Frames ever written, in ascending gfn order (for display and serialization). */
  gfns(): number[] {
    return this.frames.keys().sort((a, b) => a - b);
  }

  /**
   * The frames written since `prev` (an earlier copy of this memory; null:
   * all of them), each as its chunks written since, for handing the memory
   * over as plain data (timeline.ts machineData; the chunks copied by `pack`).
   * O(chunks written), not O(frames).
   */
  frameDelta(prev: GuestMemory | null, pack: ChunkPack): MapDelta<CowChunks> {
    const d = this.frames.diff(prev ? prev.frames : null);
    return { set: d.set.map(([gfn, f]) => [gfn, f.chunkDelta(prev?.frames.get(gfn) ?? null, pack)] as const), removed: d.removed };
  }

  /** The memory `frameDelta(prev)` described: `prev` (a copy of it) with the delta's frames. */
  static fromDelta(prev: GuestMemory | null, d: MapDelta<CowChunks>, buf: ArrayBuffer): GuestMemory {
    return new GuestMemory(PMap.applied(prev ? prev.frames : null, { set: d.set.map(([gfn, c]) => [gfn, CowArray.withChunks(prev?.frames.get(gfn) ?? null, 1024, false, c, buf)] as const), removed: d.removed }));
  }

  /** A frame's words (read them with get; the memory's own, do not write). */
  frame(gfn: number): CowArray | undefined {
    if (!this.indexed(gfn)) {
      if (++this.frameLookups >= indexAfter) this.frameIndexing = true;
      return this.frames.get(gfn);
    }
    let f = this.frameIndex[gfn >>> 6]?.[gfn & 63];
    if (f === undefined) {
      f = this.frames.get(gfn) ?? null;
      this.remember(gfn, f);
    }
    return f ?? undefined;
  }

  /** Whether `gfn`'s frame is looked up through frameIndex. */
  private indexed(gfn: number): boolean {
    return this.frameIndexing && gfn >= 0 && gfn < INDEX_GFNS;
  }

  private remember(gfn: number, f: CowArray | null): void {
    if (!this.indexed(gfn)) return;
    const top = this.frameIndex;
    // Filled up to the block so the arrays stay packed (holes would make them dictionaries).
    while (top.length <= gfn >>> 6) top.push(undefined);
    (top[gfn >>> 6] ??= new Array<CowArray | null | undefined>(64).fill(undefined))[gfn & 63] = f;
  }

  private frameForWrite(gfn: number): CowArray {
    let f = this.frame(gfn);
    if (!f || f.owner !== this.token) {
      // O(1): the copy then copies only the 32-word chunks it writes.
      f = f ? f.clone() : CowArray.of(1024);
      f.owner = this.token;
      this.frames.set(gfn, f);
      this.remember(gfn, f);
    }
    return f;
  }

  read32(gpa: number): number {
    const f = this.frame(Math.floor(gpa / 4096));
    if (!f) return 0;
    const off = gpa % 4096;
    if ((off & 3) === 0) return f.get(off >>> 2);
    let v = 0;
    for (let i = 3; i >= 0; i--) v = (v * 256 + this.readByte(gpa + i)) >>> 0;
    return v;
  }

  readByte(gpa: number): number {
    const f = this.frame(Math.floor(gpa / 4096));
    if (!f) return 0;
    const off = gpa % 4096;
    return (f.get(off >>> 2) >>> ((off & 3) * 8)) & 0xff;
  }

  writeByte(gpa: number, byte: number): void {
    const f = this.frameForWrite(Math.floor(gpa / 4096));
    const off = gpa % 4096;
    const shift = (off & 3) * 8;
    const w = f.get(off >>> 2);
    f.set(off >>> 2, ((w & ~(0xff << shift)) | ((byte & 0xff) << shift)) >>> 0);
  }

  /** Read an entry of `size` bytes (4 or 8) at an aligned gpa. */
  readEntry(gpa: number, size: 4 | 8): U64 {
    return this.read(gpa, size);
  }

  /** Write the 4-byte word at a 4-aligned gpa (a guest table entry's low word). */
  write32(gpa: number, word: number): void {
    if ((gpa & 3) !== 0) throw new Error(`internal: write32 at unaligned gpa ${gpa}`);
    this.frameForWrite(Math.floor(gpa / 4096)).set((gpa % 4096) >>> 2, word >>> 0);
  }

  /** Write `width` bytes of `value` (little endian) at gpa; may be unaligned, within one frame. */
  write(gpa: number, width: number, value: U64): void {
    // Aligned 4- and 8-byte writes (page-table entries, most guest data) go
    // word by word: the byte loop looked the frame up once per byte.
    if (this.isWordAligned(gpa, width)) {
      const f = this.frameForWrite(Math.floor(gpa / 4096));
      const w = (gpa % 4096) >>> 2;
      f.set(w, value.lo >>> 0);
      if (width === 8) f.set(w + 1, value.hi >>> 0);
      return;
    }
    for (let i = 0; i < width; i++) {
      const word = i < 4 ? value.lo : value.hi;
      this.writeByte(gpa + i, (word >>> ((i & 3) * 8)) & 0xff);
    }
  }

  /**
   * Whether an access of `width` bytes at gpa is one or two whole words of
   * one frame (a 4-byte access 4-aligned, an 8-byte one 4-aligned and not
   * crossing the frame): read32 reads it, word by word.
   */
  private isWordAligned(gpa: number, width: number): boolean {
    return (gpa & 3) === 0 && (width === 4 || (width === 8 && gpa % 4096 <= 4088));
  }

  /** Read `width` bytes (<= 8) at gpa as a 64-bit value. */
  read(gpa: number, width: number): U64 {
    return this.readInto(gpa, width, { lo: 0, hi: 0 });
  }

  /** read into `out` (the step's own reads: no object per guest access); returns `out`. */
  readInto<T extends { lo: number; hi: number }>(gpa: number, width: number, out: T): T {
    // Aligned 4- and 8-byte reads (most guest data) go word by word.
    if (this.isWordAligned(gpa, width)) {
      out.lo = this.read32(gpa);
      out.hi = width === 8 ? this.read32(gpa + 4) : 0;
      return out;
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < width; i++) {
      const b = this.readByte(gpa + i);
      if (i < 4) lo = (lo | (b << (i * 8))) >>> 0;
      else hi = (hi | (b << ((i - 4) * 8))) >>> 0;
    }
    out.lo = lo;
    out.hi = hi;
    return out;
  }
}

export const gpaToGfn = (gpa: number): number => Math.floor(gpa / 2 ** PAGE_SHIFT);
