/**
 * A map from non-negative integer keys whose copies cost O(1): the state
 * behind time travel (guest frames, the rmap) is kept in one of these, so a
 * snapshot shares everything with the machine it was taken from and a later
 * write copies only the few small nodes on its path (O(changes since the
 * snapshot), not O(state)).
 *
 * Shape: a 256-way root over 16-way middle nodes over 4,096 leaf buckets
 * (keys and values in two short arrays, searched linearly). Every node
 * records the edit token of the map that may write it in place (a leaf in a
 * field, a middle node in its last slot, the root in the map); `clone()`
 * gives both maps new tokens, so the first write on either side copies the
 * nodes on its path (path copying, as in persistent hash tries). Why a wide
 * root and narrow middle nodes: between two snapshots a map's writes land in
 * ~20-35 buckets spread by the hash, so nearly every middle node on their
 * paths is copied once, and the root once. With 64 and 64 that was ~35 copies
 * of 64 slots per snapshot (~20 KB, the largest part of the 100k timeline's
 * heap after the shadow page headers); 256 and 16 copy ~35 of 16 slots and
 * one root of 256 (~9 KB), at the same depth for a lookup. Values that
 * are themselves mutable (the rmap's spte lists) are copied with their leaf
 * by `copyValue`, so `getMut` hands out a value its map alone owns.
 *
 * Iteration order is bucket order, not insertion order: callers that show or
 * print entries sort them (machineJson, GuestMemory.gfns).
 */

interface Leaf<V> {
  owner: number;
  keys: number[];
  vals: V[];
}
/**
 * A middle node: its MID_FAN leaves, then (at index MID_FAN) the edit token
 * of the map that may write it in place. Arrays, not objects holding arrays:
 * a lookup loads the root's slot, then the middle node's, then the leaf,
 * with no object around either array to load first (every shadow-page,
 * rmap, hash and tracking lookup goes through here).
 */
type Mid<V> = Array<Leaf<V> | number | undefined>;
/** The root: ROOT_FAN middle nodes (its edit token is the map's rootOwner). */
type Root<V> = Array<Mid<V> | undefined>;

/** A middle node with no leaves, owned by `token`. */
function newMid<V>(token: number): Mid<V> {
  const mid: Mid<V> = new Array<Leaf<V> | number | undefined>(MID_FAN + 1);
  mid[MID_FAN] = token;
  return mid;
}

/** Leaf j (< MID_FAN) of a middle node. */
const leafAt = <V>(mid: Mid<V>, j: number): Leaf<V> | undefined => mid[j] as Leaf<V> | undefined;

/** A map's changes as plain data (what crosses a thread): PMap.diff, PMap.applied. */
export interface MapDelta<V> {
  readonly set: ReadonlyArray<readonly [number, V]>;
  readonly removed: readonly number[];
}

/** A bucket (bucketOf: 12 bits) picks a root slot with its high 8 bits and a middle node's slot with its low 4. */
const MID_BITS = 4;
const MID_FAN = 1 << MID_BITS;
const ROOT_FAN = 1 << (12 - MID_BITS);
let nextToken = 1;

/**
 * Where `key` is in a leaf's keys (-1: absent). A loop, not keys.indexOf:
 * leaves hold a few keys, and the builtin call cost more than the search on
 * every shadow-page, rmap and frame lookup (issue 17's hot path).
 */
function find(keys: readonly number[], key: number): number {
  for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
  return -1;
}

/** 12 well-mixed bits of the key: 8 for the root slot, 4 for the middle slot. */
function bucketOf(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 0x1_0000_0000) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h >>> 20;
}

export class PMap<V> {
  private root: Root<V>;
  private token: number;
  /** The edit token the root was made under: the root is this map's own while it is `token`. */
  private rootOwner: number;
  private count: number;
  /** `root`/`count`: internal, for clone(); a new map is empty. */
  constructor(
    private readonly copyValue: (v: V) => V = (v) => v,
    root?: Root<V>,
    count = 0,
  ) {
    this.token = nextToken++;
    this.root = root ?? new Array<Mid<V> | undefined>(ROOT_FAN);
    // A shared root (clone) is neither side's: 0 is no token.
    this.rootOwner = root ? 0 : this.token;
    this.count = count;
  }

  /** A map that behaves as a deep copy (values copied with copyValue when either side writes). */
  clone(): PMap<V> {
    // Both sides lose write access to the shared nodes. Made by the
    // constructor (not Object.create), so every map has one hidden class.
    this.token = nextToken++;
    return new PMap<V>(this.copyValue, this.root, this.count);
  }

  get size(): number {
    return this.count;
  }

  private leaf(key: number): Leaf<V> | undefined {
    const b = bucketOf(key);
    const mid = this.root[b >>> MID_BITS];
    return mid === undefined ? undefined : leafAt(mid, b & (MID_FAN - 1));
  }

  get(key: number): V | undefined {
    const l = this.leaf(key);
    if (!l) return undefined;
    const i = find(l.keys, key);
    return i < 0 ? undefined : l.vals[i];
  }

  has(key: number): boolean {
    const l = this.leaf(key);
    return l !== undefined && find(l.keys, key) >= 0;
  }

  /** The leaf holding `key`'s bucket, owned by this map (copied on the way down as needed). */
  private leafForWrite(key: number, create: boolean): Leaf<V> | undefined {
    const t = this.token;
    const b = bucketOf(key);
    let root = this.root;
    if (this.rootOwner !== t) {
      if (!create && !this.leaf(key)) return undefined;
      root = this.root = root.slice();
      this.rootOwner = t;
    }
    const r = b >>> MID_BITS;
    const j = b & (MID_FAN - 1);
    let mid = root[r];
    if (mid === undefined) {
      if (!create) return undefined;
      mid = root[r] = newMid<V>(t);
    } else if (mid[MID_FAN] !== t) {
      mid = root[r] = mid.slice();
      mid[MID_FAN] = t;
    }
    let leaf = leafAt(mid, j);
    if (!leaf) {
      if (!create) return undefined;
      leaf = { owner: t, keys: [], vals: [] };
      mid[j] = leaf;
    } else if (leaf.owner !== t) {
      leaf = { owner: t, keys: leaf.keys.slice(), vals: leaf.vals.map(this.copyValue) };
      mid[j] = leaf;
    }
    return leaf;
  }

  set(key: number, value: V): this {
    const l = this.leafForWrite(key, true)!;
    const i = find(l.keys, key);
    if (i >= 0) l.vals[i] = value;
    else {
      l.keys.push(key);
      l.vals.push(value);
      this.count++;
    }
    return this;
  }

  /**
   * Sets `key`'s value to `f(its value or undefined, arg)` in one walk to its
   * leaf (a get and then a set walked there twice). The value `f` is given is
   * this map's own by then (copied with its leaf if the leaf was shared), so
   * `f` may change it in place and return it.
   */
  update<A>(key: number, f: (cur: V | undefined, arg: A) => V, arg: A): this {
    const l = this.leafForWrite(key, true)!;
    const i = find(l.keys, key);
    if (i >= 0) l.vals[i] = f(l.vals[i], arg);
    else {
      l.keys.push(key);
      l.vals.push(f(undefined, arg));
      this.count++;
    }
    return this;
  }

  /** The value at `key`, which this map alone holds, so it may be changed in place. */
  getMut(key: number): V | undefined {
    const l = this.leaf(key);
    if (!l) return undefined;
    const i = find(l.keys, key);
    if (i < 0) return undefined;
    // A leaf made under the current token is this map's own, and so are the
    // nodes above it (leafForWrite copies top down; clone() changes the token).
    if (l.owner === this.token) return l.vals[i];
    const w = this.leafForWrite(key, false)!;
    return w.vals[find(w.keys, key)];
  }

  delete(key: number): boolean {
    if (!this.has(key)) return false;
    const l = this.leafForWrite(key, false)!;
    const i = find(l.keys, key);
    const last = l.keys.length - 1;
    // Order inside a bucket is not observable (iteration is bucket order): swap-remove.
    l.keys[i] = l.keys[last]!;
    l.vals[i] = l.vals[last]!;
    l.keys.pop();
    l.vals.pop();
    this.count--;
    return true;
  }

  forEach(fn: (value: V, key: number) => void): void {
    for (const mid of this.root) {
      if (!mid) continue;
      for (let j = 0; j < MID_FAN; j++) {
        const leaf = leafAt(mid, j);
        if (!leaf) continue;
        for (let i = 0; i < leaf.keys.length; i++) fn(leaf.vals[i]!, leaf.keys[i]!);
      }
    }
  }

  entries(): Array<[number, V]> {
    const out: Array<[number, V]> = [];
    this.forEach((v, k) => out.push([k, v]));
    return out;
  }

  /**
   * What changed from `prev` to this map: entries set (new, or whose value is
   * not the same object) and keys removed. Subtrees both maps share are
   * skipped, so between a map and an earlier copy of it this costs
   * O(changes), not O(size). `prev` null: every entry.
   */
  diff(prev: PMap<V> | null): MapDelta<V> {
    const set: Array<[number, V]> = [];
    const removed: number[] = [];
    const a = prev?.root;
    this.root.forEach((mid, i) => {
      const pm = a?.[i];
      if (mid === pm) return;
      for (let j = 0; j < MID_FAN; j++) {
        const leaf = leafAt(mid!, j);
        const pl = pm === undefined ? undefined : leafAt(pm, j);
        if (leaf === pl) continue;
        if (leaf) leaf.keys.forEach((k, x) => {
          const at = pl ? find(pl.keys, k) : -1;
          if (at < 0 || pl!.vals[at] !== leaf.vals[x]) set.push([k, leaf.vals[x]!]);
        });
        if (pl) for (const k of pl.keys) if (!leaf || find(leaf.keys, k) < 0) removed.push(k);
      }
    });
    return { set, removed };
  }

  /** A copy of `base` (or an empty map) with `delta` applied: the inverse of diff. */
  static applied<V>(base: PMap<V> | null, delta: MapDelta<V>, copyValue?: (v: V) => V): PMap<V> {
    const m = base ? base.clone() : new PMap<V>(copyValue);
    for (const k of delta.removed) m.delete(k);
    for (const [k, v] of delta.set) m.set(k, v);
    return m;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** A map with the same entries. */
  static from<V>(entries: Iterable<readonly [number, V]>, copyValue?: (v: V) => V): PMap<V> {
    const m = new PMap<V>(copyValue);
    for (const [k, v] of entries) m.set(k, v);
    return m;
  }

  keys(): number[] {
    const out: number[] = [];
    this.forEach((_, k) => out.push(k));
    return out;
  }
}
