/**
 * `npm run trace` and `npm run grade`: runs a CLI (src/cli/NAME.ts) from a
 * bundle, rebuilt with esbuild whenever a source file it was built from has
 * changed since. Why: through tsx, Node spent ~0.3 s of every run loading and
 * transpiling the sources (on top of npm's own start), a fifth of the trace
 * CLI's time on a 100,000-step file (issue 17's `cli.trace100k.wallMs`).
 *
 * The bundle is CommonJS, run as a CommonJS module (runBundle): on the 100,000-step file it
 * ran ~4% faster than the same bundle as an ES module (alternating runs).
 * The bundle holds its dependencies too (zod, ...), so it runs from wherever
 * it is written: node_modules/.cache/shadowpaging-cli, named after this
 * checkout's path (worktrees sharing one node_modules each get their own).
 * Where that cannot be written, each run builds into a new private folder in
 * the system's temporary directory (made by mkdtemp, never reused: nothing
 * found there is ever run). A fresh clone builds it on the first run
 * (~0.2 s); it is rebuilt when a source file it was built from,
 * package-lock.json, package.json, tsconfig.json or this script is as new as
 * it or newer. Two runs building at once each write their own files and
 * rename them into place, so neither reads a half written bundle.
 *
 * V8's code cache: the first run of a bundle leaves, beside it, the bytecode
 * V8 compiled for it (`vm.Script#createCachedData` at exit, so the functions
 * the run compiled lazily are in it too), and later runs start from that
 * instead of compiling again: ~25-45 ms less of the ~1.2 s a 100,000-step trace
 * takes (alternating runs). The cache file is named after a hash of the
 * bundle's text: V8 itself checks only the text's length, and a rebuilt
 * bundle of the same length must not run an older bundle's bytecode. V8
 * rejects a cache of another Node version or other flags; the run then
 * compiles as without one and writes a new cache.
 * SHADOWPAGING_CLI_CACHE, when set, names another folder for the bundle
 * (tests that remove or block the folder use their own).
 * Usage: node scripts/cli.mjs trace|grade [args...]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import Module, { createRequire } from 'node:module';
import { constants as vmConstants, Script } from 'node:vm';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = relative(root, fileURLToPath(import.meta.url));
const CLIS = ['trace', 'grade'];
const name = process.argv[2];
if (!CLIS.includes(name)) {
  process.stderr.write(`scripts/cli.mjs: expected one of ${CLIS.join(', ')}, got ${JSON.stringify(name ?? '')}\n`);
  process.exit(2);
}

const CACHE = process.env.SHADOWPAGING_CLI_CACHE ? resolve(process.env.SHADOWPAGING_CLI_CACHE) : join(root, 'node_modules', '.cache', 'shadowpaging-cli');
const id = `${name}-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
const bundleIn = (dir) => join(dir, `${id}.cjs`);
const inputsIn = (dir) => join(dir, `${id}.inputs.json`);

/** Whether the cached bundle exists and no input it was built from (nor this script) is newer. */
function fresh() {
  let built;
  let inputs;
  try {
    built = statSync(bundleIn(CACHE)).mtimeMs;
    inputs = JSON.parse(readFileSync(inputsIn(CACHE), 'utf8'));
  } catch {
    return false;
  }
  for (const f of [...inputs, self]) {
    try {
      // As new counts as newer: a file saved in the same clock tick as the build started.
      if (statSync(join(root, f)).mtimeMs >= built) return false;
    } catch {
      return false; // an input was removed or renamed
    }
  }
  return true;
}

/** The bundle's text and its inputs (the project's own files; the dependencies through the lock file). */
async function build() {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join('src', 'cli', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: `${name}.cjs`,
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  // metafile paths are relative to absWorkingDir, the root.
  const inputs = Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  for (const f of ['package-lock.json', 'package.json', 'tsconfig.json']) if (existsSync(join(root, f))) inputs.push(f);
  return { text: r.outputFiles[0].contents, inputs };
}

/** Writes the bundle into `dir` (throws an fs error when it cannot), stamped with the time the build started. */
function writeInto(dir, out, started) {
  mkdirSync(dir, { recursive: true });
  const tmp = `${bundleIn(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, out.text);
  // A source saved during the build is newer than the stamp, so the next run rebuilds.
  utimesSync(tmp, started, started);
  writeFileSync(`${inputsIn(dir)}.${process.pid}.tmp`, JSON.stringify(out.inputs));
  renameSync(`${inputsIn(dir)}.${process.pid}.tmp`, inputsIn(dir));
  renameSync(tmp, bundleIn(dir));
}

let dir = CACHE;
if (!fresh()) {
  const started = new Date();
  const out = await build();
  try {
    writeInto(CACHE, out, started);
  } catch {
    const own = mkdtempSync(join(tmpdir(), 'shadowpaging-cli-'));
    // Removed when the CLI exits, however it exits (it may call process.exit).
    process.on('exit', () => rmSync(own, { recursive: true, force: true }));
    writeInto(own, out, started);
    dir = own;
  }
}

/**
 * Runs the bundle as a CommonJS module of its own (its exports, require,
 * module, __filename and __dirname, as require() gives them; require.main and
 * module.parent are unset, and the bundle reads neither), compiled with the
 * code cache of this very text when there is one (in the cache folder only: a
 * private folder is removed after the run). Dynamic import() works as in a
 * required module. A run that ends with status 0 and finds no cache it may
 * use leaves its own, unless it only printed its usage (--help compiles too
 * little of the bundle to be worth keeping).
 */
function runBundle(file, cacheable) {
  const text = readFileSync(file, 'utf8');
  const cacheFile = join(dirname(file), `${id}.${createHash('sha256').update(text).digest('hex').slice(0, 16)}.v8cache`);
  let cachedData;
  if (cacheable) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache for this text yet: this run writes it.
    }
  }
  const dynamicImport = vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  const script = new Script(Module.wrap(text), { filename: file, cachedData, ...(dynamicImport ? { importModuleDynamically: dynamicImport } : {}) });
  const m = new Module(file);
  m.filename = file;
  const run = script.runInThisContext();
  // runBundle runs after the CLI's name was taken out of process.argv.
  const usage = process.argv.slice(2).some((a) => a === '--help' || a === '-h');
  if (cacheable && !usage && (!cachedData || script.cachedDataRejected)) {
    process.on('exit', (code) => {
      if (code !== 0) return;
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        // The caches of earlier bundles of this CLI are of no more use.
        for (const f of readdirSync(dirname(file))) if (f.startsWith(`${id}.`) && f.endsWith('.v8cache') && join(dirname(file), f) !== cacheFile) rmSync(join(dirname(file), f), { force: true });
      } catch {
        // Without a cache the next run compiles the bundle again, as before.
      }
    });
  }
  run(m.exports, createRequire(file), m, file, dirname(file));
}

// The CLI reads its arguments from process.argv.slice(2), as when run directly.
process.argv.splice(2, 1);
runBundle(bundleIn(dir), dir === CACHE);
