/**
 * `npm run trace` and `npm run grade`: runs a CLI (src/cli/NAME.ts) from a
 * bundle, rebuilt with esbuild whenever a source file it was built from has
 * changed since. Why: through tsx, Node spent ~0.3 s of every run loading and
 * transpiling the sources (on top of npm's own start), a fifth of the trace
 * CLI's time on a 100,000-step file (issue 17's `cli.trace100k.wallMs`).
 *
 * The bundle and the list of its inputs live in node_modules/.cache, so a
 * fresh clone builds it on the first run (~0.2 s). Two runs building at once
 * each write their own file and rename it into place, so neither reads a half
 * written bundle. Usage: node scripts/cli.mjs trace|grade [args...]
 */
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIS = ['trace', 'grade'];
const name = process.argv[2];
if (!CLIS.includes(name)) {
  process.stderr.write(`scripts/cli.mjs: expected one of ${CLIS.join(', ')}, got ${JSON.stringify(name ?? '')}\n`);
  process.exit(2);
}
const cache = join(root, 'node_modules', '.cache', 'shadowpaging-cli');
const bundle = join(cache, `${name}.mjs`);
const inputsFile = join(cache, `${name}.inputs.json`);

/** Whether the bundle exists and no input it was built from (or this script) is newer. */
function fresh() {
  let built;
  let inputs;
  try {
    built = statSync(bundle).mtimeMs;
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  for (const f of [...inputs, relative(root, fileURLToPath(import.meta.url))]) {
    try {
      if (statSync(join(root, f)).mtimeMs > built) return false;
    } catch {
      return false; // an input was removed or renamed
    }
  }
  return true;
}

if (!fresh()) {
  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const tmp = `${bundle}.${process.pid}.tmp`;
  // Stamped with the time the build started: a source saved while it runs is newer, so the next run rebuilds.
  const started = new Date();
  const r = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    metafile: true,
    logLevel: 'error',
    // Dependencies stay in node_modules, loaded by Node as usual.
    packages: 'external',
  });
  // Paths relative to absWorkingDir, the project root.
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(Object.keys(r.metafile.inputs)));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  utimesSync(tmp, started, started);
  renameSync(tmp, bundle);
}

// The CLI reads its arguments from process.argv.slice(2), as when run directly.
process.argv.splice(2, 1);
await import(pathToFileURL(bundle).href);
