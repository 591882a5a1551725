/**
 * A fixed-length array of numbers (u32 words, or f64 for gfns) in 32-element
 * chunks, copied on write chunk by chunk: the shadow page tables' sptes, their
 * gfns and unsync bitmaps, and guest memory frames.
 *
 * Why: a snapshot for time travel shares every array with the machine it was
 * taken from. With whole 4 KiB arrays, the first write to a page after a
 * snapshot copied all of it (and its 4 KiB gfns); on the 100,000-step bench
 * that was ~22 pages and ~17 frames per 64 steps, most of a snapshot's memory.
 * Now such a write copies one 32-element chunk and the two small chunk lists.
 *
 * `clone()` is O(1): both sides get new edit tokens, so neither writes the
 * shared chunks (or the shared chunk lists) in place again. An all-zero chunk
 * is `null` until written, so a fresh page or frame costs its chunk list only.
 */

type Chunk = Uint32Array | Float64Array;

/** Some chunks of an array as plain data (index, values): what changed since an earlier copy (CowArray.chunkDelta). */
export type CowChunks = ReadonlyArray<readonly [number, Chunk]>;

const SHIFT = 5;
const MASK = (1 << SHIFT) - 1;
let nextToken = 1;

export class CowArray {
  private chunks: Array<Chunk | null>;
  /** owners[c]: the token of the array that may write chunk c in place. */
  private owners: number[];
  /** The token of the array that may change `chunks` and `owners` themselves. */
  private listsOwner: number;
  private token: number;

  /** `f64`: for values above 2^32 (sp->gfns); otherwise unsigned 32-bit words. */
  constructor(
    readonly length: number,
    private readonly f64 = false,
  ) {
    const n = (length + MASK) >>> SHIFT;
    this.chunks = new Array<Chunk | null>(n).fill(null);
    this.owners = new Array<number>(n).fill(0);
    this.token = nextToken++;
    this.listsOwner = this.token;
  }

  /** An array with these values. */
  static from(values: Uint32Array | Float64Array, f64 = false): CowArray {
    const a = new CowArray(values.length, f64);
    // Chunk by chunk (an all-zero one stays null): this runs for every array a worker hands over.
    for (let ci = 0; ci < a.chunks.length; ci++) {
      const part = values.subarray(ci << SHIFT, Math.min(values.length, (ci + 1) << SHIFT));
      if (!part.some((v) => v !== 0)) continue;
      const c = f64 ? new Float64Array(MASK + 1) : new Uint32Array(MASK + 1);
      c.set(part);
      a.chunks[ci] = c;
      a.owners[ci] = a.token;
    }
    return a;
  }

  get(i: number): number {
    const c = this.chunks[i >>> SHIFT];
    return c ? c[i & MASK]! : 0;
  }

  set(i: number, v: number): void {
    const t = this.token;
    const ci = i >>> SHIFT;
    if (this.listsOwner !== t) {
      this.chunks = this.chunks.slice();
      this.owners = this.owners.slice();
      this.listsOwner = t;
    }
    let c = this.chunks[ci];
    if (this.owners[ci] !== t || !c) {
      if (!c && v === 0) return;
      c = c ? c.slice() : this.f64 ? new Float64Array(MASK + 1) : new Uint32Array(MASK + 1);
      this.chunks[ci] = c;
      this.owners[ci] = t;
    }
    c[i & MASK] = v;
  }

  /** Whether elements [from, from + 32) are all zero without a look at each: an unwritten chunk (32-aligned `from` only). */
  isZeroChunkAt(from: number): boolean {
    return this.chunks[from >>> SHIFT] === null;
  }

  /** A copy that behaves as a deep copy; O(1), the chunks are shared until either side writes one. */
  clone(): CowArray {
    const c = Object.create(CowArray.prototype) as CowArray;
    this.token = nextToken++;
    Object.assign(c, { length: this.length, f64: this.f64, chunks: this.chunks, owners: this.owners, token: nextToken++, listsOwner: 0 });
    return c;
  }

  /**
   * The chunks of this array that `prev` (an earlier copy of it; null: none)
   * does not share, as copies: O(chunks written since), for handing an array
   * over to another thread a snapshot at a time.
   */
  chunkDelta(prev: CowArray | null): CowChunks {
    const out: Array<readonly [number, Chunk]> = [];
    this.chunks.forEach((c, ci) => {
      if (c && c !== prev?.chunks[ci]) out.push([ci, c.slice()]);
    });
    return out;
  }

  /** `base` (a copy of it; null: zeros) with the chunks `chunkDelta` gave: the inverse of chunkDelta. */
  static withChunks(base: CowArray | null, length: number, f64: boolean, d: CowChunks): CowArray {
    const a = base ? base.clone() : new CowArray(length, f64);
    if (d.length === 0) return a;
    if (a.listsOwner !== a.token) {
      a.chunks = a.chunks.slice();
      a.owners = a.owners.slice();
      a.listsOwner = a.token;
    }
    // The received chunks are copies no one else holds: this array's own.
    for (const [ci, c] of d) {
      a.chunks[ci] = c;
      a.owners[ci] = a.token;
    }
    return a;
  }

  /** The values as one plain typed array (a copy). */
  toArray(): Uint32Array | Float64Array {
    const out = this.f64 ? new Float64Array(this.length) : new Uint32Array(this.length);
    this.chunks.forEach((c, ci) => {
      if (c) out.set(c.subarray(0, Math.min(c.length, this.length - (ci << SHIFT))), ci << SHIFT);
    });
    return out;
  }
}
