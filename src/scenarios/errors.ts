/** Error values, paths and messages for the scenario parser. */

/** Where a scenario went wrong: `path` like `steps[3].gva` ("" for the whole document). */
export interface ScenarioError {
  readonly path: string;
  readonly message: string;
}

/** One line naming the field, e.g. `steps[3].gva: expected a hex string like "0xC0403123" or a number`. */
export function formatScenarioError(e: ScenarioError): string {
  return e.path === '' ? `scenario: ${e.message}` : `${e.path}: ${e.message}`;
}

const PLAIN_KEY_RE = /^[A-Za-z0-9_$-]+$/;

/** Quotes a user-supplied key for a message (escaped and truncated). */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > 40 ? key.slice(0, 40) + '…' : key);
}

/** `['steps', 3, 'gva']` -> `steps[3].gva`; odd keys are quoted: `entries["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && PLAIN_KEY_RE.test(seg) && seg.length <= 40) {
      out += out === '' ? seg : `.${seg}`;
    } else out += `[${quoteKey(String(seg))}]`;
  }
  return out;
}

/**
 * Thrown inside the parser and caught by the public entry points, which
 * return it as `{ ok: false }`. Not exported from the package surface.
 */
export class ScenarioFailure {
  readonly error: ScenarioError;
  constructor(path: readonly PropertyKey[] | string, message: string) {
    this.error = { path: typeof path === 'string' ? path : formatPath(path), message };
  }
}

export function fail(path: readonly PropertyKey[] | string, message: string): never {
  throw new ScenarioFailure(path, message);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest allowed key to a typo, if it is close enough to be a useful hint. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > 40) return undefined;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allowed) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const maxD = Math.min(2, Math.max(1, Math.floor((best?.length ?? 0) / 3)));
  return bestD <= maxD ? best : undefined;
}

/** Message for the first unknown key of an object (the path names the key itself). */
export function unknownKeyMessage(keys: readonly string[], allowed: readonly string[], where: string): string {
  const key = keys[0] ?? '';
  const hint = suggestKey(key, allowed);
  let msg = `unknown key in ${where}`;
  if (hint !== undefined) msg += ` (did you mean "${hint}"?)`;
  msg += `; allowed keys: ${allowed.join(', ')}`;
  if (keys.length > 1) msg += ` (${keys.length - 1} more unknown key${keys.length > 2 ? 's' : ''} here)`;
  return msg;
}
