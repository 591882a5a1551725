/**
 * `npm run trace` / `npm run grade` run scripts/cli.mjs, which runs the CLI
 * from an esbuild bundle in node_modules/.cache (rebuilt when a source it was
 * built from changed). The bundle must behave as the sources run through tsx:
 * the same output, the same errors and exit codes. These tests build into
 * a folder of their own (SHADOWPAGING_CLI_CACHE), as they remove and block
 * it while other test files run the CLIs from the usual one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const OWN = mkdtempSync(join(tmpdir(), 'sp-cli-bundle-test-'));
afterAll(() => rmSync(OWN, { recursive: true, force: true }));
const CACHE = join(OWN, 'cache');
const viaBundle = (args: string[], input?: string, cache = CACHE) =>
  spawnSync(process.execPath, ['scripts/cli.mjs', ...args], { encoding: 'utf8', input, timeout: 60_000, maxBuffer: 1 << 26, env: { ...process.env, SHADOWPAGING_CLI_CACHE: cache } });
const viaTsx = (file: string, args: string[], input?: string) => spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', input, timeout: 60_000, maxBuffer: 1 << 26 });
const SCENARIO = 'src/scenarios/library/unsync-invlpg-sync.json';

describe('scripts/cli.mjs', () => {
  it('builds the bundle when there is none, and prints what the sources print', () => {
    rmSync(CACHE, { recursive: true, force: true });
    const a = viaBundle(['trace', SCENARIO, '--rules', 'merged']);
    expect(a.status).toBe(0);
    const files = readdirSync(CACHE);
    const bundle = files.find((f) => /^trace-[0-9a-f]{12}\.cjs$/.test(f));
    expect(bundle).toBeDefined();
    const inputs = JSON.parse(readFileSync(join(CACHE, bundle!.replace(/\.cjs$/, '.inputs.json')), 'utf8')) as string[];
    expect(inputs).toContain('src/cli/trace.ts');
    expect(inputs).toContain('src/core/mmu/sync.ts');
    // Dependencies are in the bundle; their changes come through the lock file.
    expect(inputs).toContain('package-lock.json');
    expect(inputs).toContain('tsconfig.json');
    expect(inputs.some((f) => f.startsWith('node_modules/'))).toBe(false);
    const b = viaTsx('src/cli/trace.ts', [SCENARIO, '--rules', 'merged']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.length).toBeGreaterThan(1000);
    // And again from the bundle as built: the same.
    expect(viaBundle(['trace', SCENARIO, '--rules', 'merged']).stdout).toBe(b.stdout);
  });

  it("leaves V8's code cache of the bundle beside it, named after the bundle's text, and runs the same from it", () => {
    rmSync(CACHE, { recursive: true, force: true });
    const caches = () => readdirSync(CACHE).filter((f) => f.startsWith('trace-') && f.endsWith('.v8cache'));
    // A run that fails leaves none, nor one that only prints its usage (it compiles little of the bundle).
    expect(viaBundle(['trace', '-'], '{}').status).toBe(2);
    expect(caches()).toEqual([]);
    expect(viaBundle(['trace', '--help']).status).toBe(0);
    expect(caches()).toEqual([]);
    const first = viaBundle(['trace', SCENARIO, '--rules', 'seed']);
    expect(first.status).toBe(0);
    expect(caches()).toHaveLength(1);
    const cache = join(CACHE, caches()[0]!);
    const made = statSync(cache).mtimeMs;
    expect(statSync(cache).size).toBeGreaterThan(10_000);
    // The next run starts from it (accepted by V8, so not written again), and prints the same.
    expect(viaBundle(['trace', SCENARIO, '--rules', 'seed']).stdout).toBe(first.stdout);
    expect(statSync(cache).mtimeMs).toBe(made);
    // A cache V8 refuses (here: not a cache at all) is replaced, and the run is still right.
    writeFileSync(cache, 'not a code cache');
    expect(viaBundle(['trace', SCENARIO, '--rules', 'seed']).stdout).toBe(first.stdout);
    expect(statSync(cache).size).toBeGreaterThan(10_000);
    // A rebuilt bundle of other text gets a cache of its own; the old one is removed.
    const bundle = join(CACHE, readdirSync(CACHE).find((f) => /^trace-[0-9a-f]{12}\.cjs$/.test(f))!);
    const text = readFileSync(bundle, 'utf8');
    // The same length, other text: V8 alone would take the old cache for it.
    writeFileSync(bundle, text.replace('shadowpaging-trace/v1', 'shadowpaging-trace/v9'));
    const other = viaBundle(['trace', SCENARIO, '--rules', 'seed']);
    expect(other.stdout).toContain('shadowpaging-trace/v9');
    expect(caches()).toHaveLength(1);
    expect(join(CACHE, caches()[0]!)).not.toBe(cache);
    rmSync(CACHE, { recursive: true, force: true });
  });

  it('takes SHADOWPAGING_CLI_CACHE relative to the working folder too', () => {
    const rel = relative(process.cwd(), join(OWN, 'relative'));
    const r = viaBundle(['trace', SCENARIO], undefined, rel);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(join(OWN, 'relative')).some((f) => f.endsWith('.cjs'))).toBe(true);
  });

  it('rebuilds when a source the bundle was built from is newer', () => {
    viaBundle(['trace', SCENARIO]);
    const bundle = join(CACHE, readdirSync(CACHE).find((f) => /^trace-[0-9a-f]{12}\.cjs$/.test(f))!);
    // Older than any source, whenever the checkout was made.
    const old = new Date(1_000_000);
    utimesSync(bundle, old, old);
    const before = statSync(bundle).mtimeMs;
    expect(viaBundle(['trace', SCENARIO, '--no-events']).status).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(before);
  });

  it('builds in a private temporary folder, removed after the run, when node_modules/.cache cannot be written', () => {
    rmSync(CACHE, { recursive: true, force: true });
    // A file where the folder should be: mkdir fails as on a read-only install.
    writeFileSync(CACHE, '');
    const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('shadowpaging-cli-')).sort();
    const before = temps();
    try {
      const a = viaBundle(['trace', SCENARIO, '--rules', 'before']);
      expect(a.status).toBe(0);
      expect(a.stdout).toBe(viaTsx('src/cli/trace.ts', [SCENARIO, '--rules', 'before']).stdout);
      // An error exit (process.exit inside the CLI) cleans up too.
      expect(viaBundle(['trace', '-'], '{}').status).toBe(2);
      expect(temps()).toEqual(before);
    } finally {
      rmSync(CACHE, { force: true });
    }
  });

  it('keeps the CLIs\' errors and exit codes', () => {
    const bad = viaBundle(['trace', '-'], '{"format":"shadowpaging/v1"}');
    const badTsx = viaTsx('src/cli/trace.ts', ['-'], '{"format":"shadowpaging/v1"}');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(badTsx.stderr);
    expect(bad.stderr).toMatch(/invalid scenario/);
    const grade = viaBundle(['grade']);
    expect(grade.status).toBe(2);
    expect(grade.stderr).toBe(viaTsx('src/cli/grade.ts', []).stderr);
    const unknown = viaBundle(['nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/expected one of trace, grade/);
  });
});
