/**
 * Counts the work a permalink decode or a scenario parse does, so the tests
 * can bound it in units that do not depend on the machine. (They used to
 * time each call, and failed on a loaded machine; `npm run bench` reports
 * the times now, in bench/parse.ts.) Three counters, for the three stages
 * whose cost grows with the input:
 *
 *   - lz-string unpacking: calls, and characters it produced;
 *   - JSON.parse: calls, and characters it read;
 *   - the scenario parser: property reads on the document (each array slot,
 *     key listing and property it looks at), counted through a Proxy around
 *     every plain object and array of it.
 *
 * Outside `measure` the spies pass calls through untouched.
 */
import { vi } from 'vitest';
import { lz } from './fuzz-inputs.ts';

export interface Work {
  lzUnpacks: number;
  lzChars: number;
  jsonParses: number;
  jsonChars: number;
  reads: number;
}

const isPlain = (v: unknown): v is object => {
  if (typeof v !== 'object' || v === null || v === Object.prototype) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * The property reads the scenario parser may make on a document: linear in
 * its size, `jsonChars` characters of JSON or `values` values handed over
 * already parsed (see sizeOf). 8 per character or 12 per value, plus 200 for
 * the schema's own fields, which a strict object looks up whether they are
 * there or not. The costliest document per character is a list of empty
 * mappings: each `{}` (3 characters with its comma, 2 values) costs 17
 * reads, all of a mapping's fields looked up, so 5.7 per character and 8.5
 * per value (schema.test.ts checks it); the fuzzed inputs need at most 0.64
 * per character. A parser that walked the document again per element would
 * pass the bound on the first large input.
 */
export function maxReads(size: { readonly jsonChars: number } | { readonly values: number }): number {
  return ('jsonChars' in size ? 8 * size.jsonChars : 12 * size.values) + 200;
}

/** No unpacking, no JSON.parse, no reads: an input refused on its length alone. */
export const NO_WORK: Readonly<Work> = { lzUnpacks: 0, lzChars: 0, jsonParses: 0, jsonChars: 0, reads: 0 };

/** Values in `v`: itself, every array slot (holes too) and every property, recursively (without recursion: inputs nest 100,000 deep). */
export function sizeOf(v: unknown): number {
  const seen = new Set<object>();
  const todo: unknown[] = [v];
  let n = 0;
  while (todo.length > 0) {
    const x = todo.pop();
    n++;
    if (!isPlain(x) || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) n += x.length;
    for (const k of Reflect.ownKeys(x)) todo.push(Object.getOwnPropertyDescriptor(x, k)?.value);
  }
  return n;
}

/** Puts the counting spies on JSON.parse and lz-string (`restore` takes them off); `measure` counts what its function does. */
export function workMeter() {
  let work: Work | null = null;
  const count = (): void => {
    if (work) work.reads++;
  };
  // Other objects (Map, Date, boxed values, typed arrays) are left as they
  // are: wrapped, their methods would fail on the proxy.
  const proxies = new WeakMap<object, object>();
  const counted = <T>(v: T): T => {
    if (!isPlain(v)) return v;
    let p = proxies.get(v);
    if (!p) {
      p = new Proxy(v, {
        get(t, k, r) {
          count();
          return counted(Reflect.get(t, k, r));
        },
        getOwnPropertyDescriptor(t, k) {
          count();
          const d = Reflect.getOwnPropertyDescriptor(t, k);
          // A proxy may report another value only for a configurable property (not an array's length).
          if (d && 'value' in d && d.configurable) d.value = counted(d.value);
          return d;
        },
        ownKeys(t) {
          count();
          return Reflect.ownKeys(t);
        },
        has(t, k) {
          count();
          return Reflect.has(t, k);
        },
      });
      proxies.set(v, p);
    }
    return p as T;
  };

  const parse = JSON.parse;
  const parseSpy = vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (!work) return parse(text, reviver) as unknown;
    // Counted before parsing: text that is not JSON costs a parse too.
    work.jsonParses++;
    work.jsonChars += text.length;
    return counted(parse(text, reviver) as unknown);
  });
  const unpack = lz.decompressFromEncodedURIComponent;
  const unpackSpy = vi.spyOn(lz, 'decompressFromEncodedURIComponent').mockImplementation((data: string) => {
    const text = unpack(data);
    if (work) {
      work.lzUnpacks++;
      work.lzChars += text?.length ?? 0;
    }
    return text;
  });

  return {
    /** Runs `f`, counting its work. */
    measure<T>(f: () => T): { result: T; work: Work } {
      const w: Work = { lzUnpacks: 0, lzChars: 0, jsonParses: 0, jsonChars: 0, reads: 0 };
      work = w;
      try {
        return { result: f(), work: w };
      } finally {
        work = null;
      }
    },
    /** `v` with its reads counted, for a parser called on a value rather than on text. */
    counted,
    restore(): void {
      parseSpy.mockRestore();
      unpackSpy.mockRestore();
    },
  };
}
