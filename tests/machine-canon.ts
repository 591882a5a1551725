import { CowArray } from '../src/core/cow-array.ts';
import { SpTable } from '../src/core/machine.ts';
import { PMap } from '../src/core/pmap.ts';

/**
 * A machine as comparable JSON, for the tests that check a state rebuilt
 * some other way (replayed, handed over from a worker) equals the original.
 */

/**
 * Copy-on-write bookkeeping (which shadow pages / guest frames this copy may
 * write in place: `owned`, `sim_owner`, guest memory's `token`) is not machine state: a replay and a snapshot copy differ there.
 * Nor is the tracing switch (whether steps record events), nor guest
 * memory's frame lookup cache (frameIndex, frameLookups, frameIndexing), nor
 * FNAME(sync_page)'s memo (sim_syncMemo), which a machine shares with its copies.
 */
const BOOKKEEPING = new Set(['owned', 'sim_owner', 'token', 'tracing', 'frameIndex', 'frameLookups', 'frameIndexing', 'sim_syncMemo']);

/** A canonical JSON-able form of any value: Maps, Sets, persistent maps (by key) and typed arrays spelled out, functions dropped. */
export function canon(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return typeof x === 'function' ? undefined : x;
  // A persistent map's nodes and edit tokens are bookkeeping; its entries, in key order, are the state.
  // Likewise a copy-on-write array's chunks: its values are the state.
  if (x instanceof CowArray) return { typed: 'CowArray', data: Array.from(x.toArray()) };
  if (x instanceof PMap) return { pmap: x.entries().sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, canon(v)]) };
  if (ArrayBuffer.isView(x)) return { typed: x.constructor.name, data: Array.from(x as unknown as ArrayLike<number>) };
  if (x instanceof Map || x instanceof SpTable) return { map: [...x.entries()].map(([k, v]) => [canon(k), canon(v)]) };
  if (x instanceof Set) return { set: [...x].map(canon) };
  if (Array.isArray(x)) return x.map(canon);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x).sort()) {
    if (BOOKKEEPING.has(k)) continue;
    const v = canon((x as Record<string, unknown>)[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
