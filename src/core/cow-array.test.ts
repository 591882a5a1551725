import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkPack, type CowChunks, CowArray } from './cow-array.ts';

/** chunkDelta through a pack of its own, sealed: the copies as a receiver gets them, and their buffer. */
function delta(a: CowArray, prev: CowArray | null = null): { readonly d: CowChunks; readonly buf: ArrayBuffer } {
  const pack = new ChunkPack();
  const d = a.chunkDelta(prev, pack);
  return { d, buf: pack.seal() };
}
const rebuilt = (base: CowArray | null, a: CowArray, f64 = false) => {
  const { d, buf } = delta(a, base);
  return CowArray.withChunks(base, a.length, f64, d, buf);
};

describe('CowArray', () => {
  it('behaves as a plain array, and every copy keeps its own values whatever the others write', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), i: fc.nat(99), v: fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 40 + 3)) }),
      fc.constant({ op: 'clone' as const }),
      fc.constant({ op: 'switch' as const }),
      fc.constant({ op: 'id' as const }),
      fc.constant({ op: 'chunks' as const }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 200 }), (f64, ops) => {
        const pairs = [{ a: CowArray.of(100, f64), r: f64 ? new Float64Array(100) : new Uint32Array(100) }];
        let cur = 0;
        // contentId(): one number, one set of values, whatever was written before or after.
        const named = new Map<number, number[]>();
        for (const o of ops) {
          const p = pairs[cur]!;
          if (o.op === 'set') {
            p.a.set(o.i, o.v);
            p.r[o.i] = o.v;
          } else if (o.op === 'clone') pairs.push({ a: p.a.clone(), r: p.r.slice() });
          else if (o.op === 'id') {
            const id = p.a.contentId();
            if (named.has(id)) expect(Array.from(p.r)).toEqual(named.get(id));
            else named.set(id, Array.from(p.r));
          }
          else if (o.op === 'chunks') {
            // chunkAt(ci) reads as the array does (null: 32 zeros).
            for (let i = 0; i < 100; i++) expect(p.a.chunkAt(i >>> 5)?.[i & 31] ?? 0).toBe(p.r[i]);
          }
          else cur = (cur + 1) % pairs.length;
          for (const q of pairs) {
            expect(Array.from(q.a.toArray())).toEqual(Array.from(q.r));
            for (let i = 0; i < 100; i += 7) expect(q.a.get(i)).toBe(q.r[i]);
          }
        }
        // An untouched chunk is reported as zero without looking, and only then.
        for (const q of pairs) for (let c = 0; c < 96; c += 32) if (q.a.isZeroChunkAt(c)) expect(Array.from(q.r.subarray(c, c + 32)).every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('chunkDelta() and withChunks() round-trip (what a worker hands over), f64 keeps values above 2^32', () => {
    const fill = (a: CowArray, v: ArrayLike<number>) => {
      for (let i = 0; i < v.length; i++) a.set(i, v[i]!);
      return a;
    };
    const v = new Float64Array([0, 1, 2 ** 40, 0, 7]);
    const f = fill(CowArray.of(v.length, true), v);
    expect(Array.from(rebuilt(null, f, true).toArray())).toEqual(Array.from(v));
    const u = fill(CowArray.of(3), new Uint32Array([5, 0, 0xffffffff]));
    expect(rebuilt(null, u).get(2)).toBe(0xffffffff);
    // Against an earlier copy: the copy with the chunks written since.
    const before = u.clone();
    u.set(1, 9);
    const again = rebuilt(before, u);
    expect(Array.from(again.toArray())).toEqual([5, 9, 0xffffffff]);
    expect(Array.from(before.toArray())).toEqual([5, 0, 0xffffffff]);
  });

  it('chunks are cut from shared slabs, but a ChunkPack hands over copies in one buffer holding only them (a posted or transferred chunk carries only its own handover)', () => {
    const arrays = [CowArray.of(1024), CowArray.of(1024), CowArray.of(512, true), CowArray.of(1024)];
    arrays.forEach((a, k) => {
      for (let i = 0; i < a.length; i += 7) a.set(i, i + k + 1);
    });
    // The live chunks are views into larger buffers (the slabs)...
    expect(arrays[0]!.chunkAt(0)!.buffer.byteLength).toBeGreaterThan(arrays[0]!.chunkAt(0)!.byteLength);
    // ...the handed-over ones, u32 and f64 mixed, share one buffer just big
    // enough for them (each copy aligned for its kind), and hold the same values.
    const pack = new ChunkPack();
    const deltas = arrays.map((a) => a.chunkDelta(null, pack));
    const buf = pack.seal();
    let bytes = 0;
    deltas.forEach((d, k) => {
      const a = arrays[k]!;
      const f64 = k === 2;
      // Each array's chunks one after another from its offset, each slot 8-aligned.
      expect(d.at).toBe(bytes);
      const back = CowArray.withChunks(null, a.length, f64, d, buf);
      d.idx.forEach((ci) => {
        const c = back.chunkAt(ci)!;
        expect(c.buffer).toBe(buf);
        expect(c.byteOffset % 8).toBe(0);
        expect(Array.from(c)).toEqual(Array.from(a.chunkAt(ci)!));
        bytes += (c.byteLength + 7) & ~7;
      });
      expect(Array.from(back.toArray())).toEqual(Array.from(a.toArray()));
    });
    expect(buf.byteLength).toBe(bytes);
    // A delta against an earlier copy carries only the chunks written since.
    const before = arrays[0]!.clone();
    arrays[0]!.set(40, 1);
    expect(delta(arrays[0]!, before).d.idx).toEqual([1]);
    // A write after a copy does not show through a chunk cut from the same slab.
    const b = arrays[1]!.clone();
    arrays[1]!.set(0, 99);
    expect(b.get(0)).toBe(2);
    expect(arrays[1]!.get(0)).toBe(99);
  });
});
