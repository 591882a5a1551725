/**
 * `npm run trace` and `npm run grade`: runs a CLI (src/cli/NAME.ts) from a
 * bundle, rebuilt with esbuild whenever a source file it was built from has
 * changed since. Why: through tsx, Node spent ~0.3 s of every run loading and
 * transpiling the sources (on top of npm's own start), a fifth of the trace
 * CLI's time on a 100,000-step file (issue 17's `cli.trace100k.wallMs`).
 *
 * The bundle holds its dependencies too (zod, ...), so it runs from wherever
 * it is written: node_modules/.cache/shadowpaging-cli, or a folder of this
 * checkout's own in the system's temporary directory when that cannot be
 * written. A fresh clone builds it on the first run (~0.2 s); it is rebuilt
 * when a source file it was built from, package-lock.json or this script is
 * newer. Two runs building at once each write their own files and rename
 * them into place, so neither reads a half written bundle.
 * Usage: node scripts/cli.mjs trace|grade [args...]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = relative(root, fileURLToPath(import.meta.url));
const CLIS = ['trace', 'grade'];
const name = process.argv[2];
if (!CLIS.includes(name)) {
  process.stderr.write(`scripts/cli.mjs: expected one of ${CLIS.join(', ')}, got ${JSON.stringify(name ?? '')}\n`);
  process.exit(2);
}

const DIRS = [
  join(root, 'node_modules', '.cache', 'shadowpaging-cli'),
  join(tmpdir(), `shadowpaging-cli-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`),
];
const bundleIn = (dir) => join(dir, `${name}.mjs`);
const inputsIn = (dir) => join(dir, `${name}.inputs.json`);

/** Whether the bundle in `dir` exists and no input it was built from (nor this script) is newer. */
function fresh(dir) {
  let built;
  let inputs;
  try {
    built = statSync(bundleIn(dir)).mtimeMs;
    inputs = JSON.parse(readFileSync(inputsIn(dir), 'utf8'));
  } catch {
    return false;
  }
  for (const f of [...inputs, self]) {
    try {
      if (statSync(join(root, f)).mtimeMs > built) return false;
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
    format: 'esm',
    target: 'node20',
    outfile: `${name}.mjs`,
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  // metafile paths are relative to absWorkingDir, the root.
  const inputs = Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  if (existsSync(join(root, 'package-lock.json'))) inputs.push('package-lock.json');
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

let dir = DIRS.find(fresh);
if (!dir) {
  const started = new Date();
  const out = await build();
  for (const d of DIRS) {
    try {
      writeInto(d, out, started);
      dir = d;
      break;
    } catch (e) {
      if (d === DIRS[DIRS.length - 1]) throw e;
    }
  }
}

// The CLI reads its arguments from process.argv.slice(2), as when run directly.
process.argv.splice(2, 1);
await import(pathToFileURL(bundleIn(dir)).href);
