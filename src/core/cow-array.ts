/**
 * A fixed-length array of numbers (u32 words, or f64 for gfns) in 32-element
 * chunks, copied on write chunk by chunk: the shadow page tables' sptes, their
 * gfns and unsync bitmaps, and guest memory frames.
 *
 * Why: a snapshot for time travel shares every array with the machine it was
 * taken from. With whole 4 KiB arrays, the first write to a page after a
 * snapshot copied all of it (and its 4 KiB gfns); on the 100,000-step bench
 * that was ~22 pages and ~17 frames per 64 steps, most of a snapshot's memory.
 * Now such a write copies one 32-element chunk and the small chunk list.
 *
 * `clone()` is O(1): both sides forget which chunks they owned, so neither
 * writes the shared chunks (or the shared chunk list) in place again. An all-zero chunk
 * is `null` until written, so a fresh page or frame costs its chunk list only.
 */

type Chunk = Uint32Array | Float64Array;

/**
 * Some chunks of an array as plain data: what changed since an earlier copy
 * (CowArray.chunkDelta). Chunk `idx[k]`'s values (its CHUNK_LEN elements, u32
 * or f64 as the array's) are at byte `at + k * chunkSlot(f64)` of the
 * handover's buffer (ChunkPack.seal). Indexes and an offset, not a view and a
 * pair per chunk: the 100k open handed over ~94,000 chunks, and making,
 * cloning and reading back a view and an array for each was ~0.1-0.2 s on each
 * side of the worker; the views are made when the array is rebuilt.
 */
export interface CowChunks {
  readonly idx: readonly number[];
  readonly at: number;
}

const SHIFT = 5;

/**
 * Where a chunk counts the writes made to it in place: one element past its
 * 32 values. A chunk object with the same count holds the same values (only
 * the array owning a chunk writes it in place, and every such write counts),
 * so a cache can remember a chunk as its object and count (FNAME(sync_page)'s
 * memo) without freezing it: freezing made the next write copy the chunk,
 * ~44,000 copies in a 100,000-step replay.
 */
export const CHUNK_WRITES = 32;

/** Numbers naming frozen chunk lists and chunks; a WeakMap, so one no array holds any more is forgotten. */
const contentIds = new WeakMap<object, number>();
let nextContentId = 1;

/** A number naming a frozen chunk list or chunk (frozenChunks), for keys built from several. */
export function frozenId(o: object): number {
  let id = contentIds.get(o);
  if (id === undefined) {
    id = nextContentId++;
    contentIds.set(o, id);
  }
  return id;
}
const MASK = (1 << SHIFT) - 1;
/** A chunk's elements: its 32 values and its write count (CHUNK_WRITES). */
const CHUNK_LEN = MASK + 2;

/**
 * Chunks are views cut from shared slabs (256 KiB ArrayBuffers), not arrays of
 * their own: `new Uint32Array(32)` and `slice()` each made an ArrayBuffer
 * with its own malloc'd store (~0.5-1 us), and a replay makes one for every
 * guest data chunk first written and every chunk copied after a snapshot.
 * A view costs a few hundred ns at most, and the GC tracks one buffer per slab.
 * A slab lives while any chunk cut from it does. Chunks never leave the thread
 * as views of a slab: chunkDelta hands over copies (ChunkPack).
 * Why 256 KiB: making the slabs themselves was ~5% of building the 100k
 * timeline with 8 KiB ones (~2% with 256 KiB), and the timelines hold no more
 * ArrayBuffer memory with the larger ones (100k: 20.5 -> 20.8 MB; 1M: 138.4
 * -> 138.6 MB): what keeps a slab alive is mostly chunks the snapshots keep.
 */
const SLAB_BYTES = 256 * 1024;

/** Where the next chunk of a kind is cut: a slab and the first free byte of it. */
interface Slab {
  buf: ArrayBuffer;
  at: number;
}
const slabU32: Slab = { buf: new ArrayBuffer(0), at: SLAB_BYTES };
const slabF64: Slab = { buf: new ArrayBuffer(0), at: SLAB_BYTES };

/** The byte offset of `bytes` cut from `slab` (a new slab when it is full). */
function cut(slab: Slab, bytes: number): number {
  if (slab.at + bytes > SLAB_BYTES) {
    slab.buf = new ArrayBuffer(SLAB_BYTES);
    slab.at = 0;
  }
  const at = slab.at;
  slab.at += bytes;
  return at;
}

// The offset first: cut() may start a new slab, and the view must be on that one.
function u32Chunk(): Uint32Array {
  const at = cut(slabU32, CHUNK_LEN * 4);
  return new Uint32Array(slabU32.buf, at, CHUNK_LEN);
}
function f64Chunk(): Float64Array {
  const at = cut(slabF64, CHUNK_LEN * 8);
  return new Float64Array(slabF64.buf, at, CHUNK_LEN);
}

/** A new owner token (CowArray.owner): distinct from every token given before, never 0. */
let nextOwnerToken = 1;
export const newOwnerToken = (): number => nextOwnerToken++;

export class CowArray {
  /**
   * The token of the one container that may write this array in place (0:
   * none), for containers that share arrays with their copies (GuestMemory's
   * frames; a Machine's shadow-page arrays, Machine.sim_owner): a container's
   * clone takes new tokens for both sides, so an array either side holds from
   * before is neither's own, and is cloned at its next write. A field check
   * where a Set of owned keys cost a hash lookup per guest or spte write.
   */
  owner = 0;
  protected chunks: Array<Chunk | null>;
  /** Bit c: chunk c is this array's own (it may write it in place); at most 32 chunks (1,024 elements). */
  protected ownedMask = 0;
  /** Whether `chunks` (the list itself) is this array's own. */
  protected listOwned = true;

  /** A u32 array, or (`f64`) one for values above 2^32 (sp->gfns): a CowArrayF64. */
  static of(length: number, f64 = false): CowArray {
    return f64 ? new CowArrayF64(length) : new CowArray(length);
  }

  /**
   * `f64`: for values above 2^32 (sp->gfns); otherwise unsigned 32-bit words.
   * Use CowArray.of; `shared` is clone()'s: a chunk list neither side owns.
   */
  protected constructor(
    readonly length: number,
    protected readonly f64 = false,
    shared?: Array<Chunk | null>,
  ) {
    const n = (length + MASK) >>> SHIFT;
    if (n > 32) throw new Error(`internal: a CowArray holds at most ${32 << SHIFT} elements, not ${length}`);
    this.chunks = shared ?? new Array<Chunk | null>(n).fill(null);
    if (shared) this.listOwned = false;
  }

  get(i: number): number {
    const c = this.chunks[i >>> SHIFT];
    return c ? c[i & MASK]! : 0;
  }

  set(i: number, v: number): void {
    const ci = i >>> SHIFT;
    if (!this.listOwned) {
      this.chunks = this.chunks.slice();
      this.listOwned = true;
    }
    let c = this.chunks[ci];
    if (!(this.ownedMask & (1 << ci)) || !c) {
      if (!c && v === 0) return;
      const fresh = this.newChunk();
      if (c) fresh.set(c);
      c = fresh;
      this.chunks[ci] = c;
      this.ownedMask |= 1 << ci;
    }
    c[i & MASK] = v;
    c[CHUNK_WRITES] = c[CHUNK_WRITES]! + 1;
  }

  /**
   * Elements [32 * ci, 32 * ci + 32) as the chunk itself, to read only (null:
   * all zero), and at CHUNK_WRITES the writes made to it in place. A loop over
   * many elements reads them with one lookup per 32 (FNAME(sync_page) visits
   * every spte of a page). A write to this array may replace the chunk (copy
   * on write) or change it in place, so read each element before writing it.
   */
  chunkAt(ci: number): Readonly<Uint32Array> | Readonly<Float64Array> | null {
    return this.chunks[ci] ?? null;
  }


  /** A zeroed chunk of this array's kind. */
  protected newChunk(): Chunk {
    return u32Chunk();
  }

  /** Whether elements [from, from + 32) are all zero without a look at each: an unwritten chunk (32-aligned `from` only). */
  isZeroChunkAt(from: number): boolean {
    return this.chunks[from >>> SHIFT] === null;
  }

  /**
   * A number that names this array's present contents: another array (a copy,
   * or this one later) with the same number holds the same values. Views use
   * it to reuse what they built from an array that did not change (the JSON
   * of a shadow page, a guest table). It freezes the contents: the next write
   * copies the chunk list and the chunk it writes, as after clone(), so the
   * contents the number names never change.
   */
  contentId(): number {
    this.freeze();
    return frozenId(this.chunks);
  }

  /**
   * The chunks as they are now (null: all zero), frozen as contentId()
   * freezes them: none of these chunk objects is ever written again, so a view
   * can key what it built from one on the chunk itself.
   */
  frozenChunks(): ReadonlyArray<Chunk | null> {
    this.freeze();
    return this.chunks;
  }

  private freeze(): void {
    this.ownedMask = 0;
    this.listOwned = false;
  }

  /** A copy that behaves as a deep copy; O(1), the chunks are shared until either side writes one. */
  clone(): CowArray {
    // Neither side may write the shared chunks, or the shared list, in place
    // again. Made by the constructor (not Object.create), so every array of a
    // kind has one hidden class and `get` stays monomorphic.
    this.ownedMask = 0;
    this.listOwned = false;
    return this.f64 ? new CowArrayF64(this.length, this.chunks) : new CowArray(this.length, false, this.chunks);
  }

  /**
   * The chunks of this array that `prev` (an earlier copy of it; null: none)
   * does not share, as copies made by `pack` (ChunkPack: read them after its
   * seal()): O(chunks written since), for handing an array over to another
   * thread a snapshot at a time.
   */
  chunkDelta(prev: CowArray | null, pack: ChunkPack): CowChunks {
    // One array's chunks go into the pack one after another (chunkSlot apart).
    const out = pack.list();
    this.chunks.forEach((c, ci) => {
      if (c && c !== prev?.chunks[ci]) pack.add(out, ci, c);
    });
    return out;
  }

  /**
   * `base` (a copy of it; null: zeros) with the chunks `chunkDelta` gave, read
   * from `buf` (the handover's buffer): the inverse of chunkDelta.
   */
  static withChunks(base: CowArray | null, length: number, f64: boolean, d: CowChunks, buf: ArrayBuffer): CowArray {
    const a = base ? base.clone() : CowArray.of(length, f64);
    if (d.idx.length === 0) return a;
    if (!a.listOwned) {
      a.chunks = a.chunks.slice();
      a.listOwned = true;
    }
    // The received chunks are copies no one else holds (each its own bytes of the buffer): this array's own.
    const size = chunkSlot(f64);
    d.idx.forEach((ci, k) => {
      const at = d.at + k * size;
      a.chunks[ci] = f64 ? new Float64Array(buf, at, CHUNK_LEN) : new Uint32Array(buf, at, CHUNK_LEN);
      a.ownedMask |= 1 << ci;
    });
    return a;
  }

  /** The values as one plain typed array (a copy). */
  toArray(): Uint32Array | Float64Array {
    const out = this.f64 ? new Float64Array(this.length) : new Uint32Array(this.length);
    this.chunks.forEach((c, ci) => {
      if (c) out.set(c.subarray(0, Math.min(MASK + 1, this.length - (ci << SHIFT))), ci << SHIFT);
    });
    return out;
  }
}

/** A chunk's room in a ChunkPack's buffer: its bytes rounded up to 8, so every copy (u32 or f64) starts aligned for its kind. */
const chunkSlot = (f64: boolean): number => (CHUNK_LEN * (f64 ? 8 : 4) + 7) & ~7;

/**
 * Copies of chunks handed over to another thread (CowArray.chunkDelta), all
 * in one ArrayBuffer: a posted view carries its whole buffer, so a chunk of a
 * slab could not go as it is, and a buffer per chunk (slice()) made ~40,000
 * small ArrayBuffers to allocate, clone and revive for the 100k open. The
 * chunks of one handover (a snapshot's MachineData) share one, which holds
 * them alone and can be transferred. Until seal(), the pack holds the chunks
 * themselves: seal before they are written again.
 */
export class ChunkPack {
  private readonly pending: Chunk[] = [];
  private bytes = 0;

  /** A list for one array's chunks, laid out from the next free byte (add them before starting another). */
  list(): CowChunks & { readonly idx: number[] } {
    return { idx: [], at: this.bytes };
  }

  /** Adds chunk `c` (index `ci`) to `out`: its values are copied into the buffer at seal(). */
  add(out: { readonly idx: number[] }, ci: number, c: Chunk): void {
    if (c.length !== CHUNK_LEN) throw new Error(`internal: a chunk of ${c.length} elements`);
    out.idx.push(ci);
    this.pending.push(c);
    this.bytes += chunkSlot(c instanceof Float64Array);
  }

  /** Copies every chunk added into one new buffer, in the order added; the buffer (to transfer with the lists). */
  seal(): ArrayBuffer {
    const buf = new ArrayBuffer(this.bytes);
    // Two views of the whole buffer, not one per chunk: each slot starts 8-aligned.
    const u32 = new Uint32Array(buf);
    const f64 = new Float64Array(buf);
    let at = 0;
    for (const c of this.pending) {
      if (c instanceof Float64Array) {
        f64.set(c, at / 8);
        at += chunkSlot(true);
      } else {
        u32.set(c, at / 4);
        at += chunkSlot(false);
      }
    }
    this.pending.length = 0;
    this.bytes = 0;
    return buf;
  }
}

/**
 * The f64 variant (sp->gfns) with its own copy of get. Why a copy:
 * V8 keeps type feedback per function, so one `get` reading both Uint32Array
 * and Float64Array chunks was polymorphic at every call site, and boxed its
 * result; the sptes and guest frames read on every step now go through a get
 * that only ever sees Uint32Array (issue 17's hot path).
 */
class CowArrayF64 extends CowArray {
  constructor(length: number, shared?: Array<Chunk | null>) {
    super(length, true, shared);
  }

  override get(i: number): number {
    const c = this.chunks[i >>> SHIFT];
    return c ? c[i & MASK]! : 0;
  }

  protected override newChunk(): Chunk {
    return f64Chunk();
  }
}
