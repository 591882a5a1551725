/**
 * `npm run checks`: runs npm scripts at the same time and fails if any fails.
 * Why: `npm test` ran the type check (two tsc runs, ~22 s) and the linter
 * (~19 s) one after the other on CI's 2-core machine, where the whole run is
 * held to 15 minutes; each is single-threaded, so together they take about
 * as long as the longer one.
 * Each script's output is held and printed whole when it ends (in the order
 * they end), so the two never interleave line by line.
 * Usage: node scripts/parallel.mjs SCRIPT [SCRIPT...]
 */
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  process.stderr.write('usage: node scripts/parallel.mjs SCRIPT [SCRIPT...]\n');
  process.exit(2);
}

// The npm that runs this script (npm sets npm_execpath), run by this Node; else the one on the PATH.
const [cmd, pre] = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];

/** Runs `npm run -s name`; resolves with its exit status once its output is printed. */
function run(name) {
  return new Promise((resolve) => {
    const out = [];
    const child = spawn(cmd, [...pre, 'run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: !process.env.npm_execpath && process.platform === 'win32' });
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('error', (e) => {
      out.push(Buffer.from(`could not start npm run ${name}: ${e.message}\n`));
    });
    child.on('close', (code, signal) => {
      const status = code ?? 1;
      process.stdout.write(`> ${name}: ${status === 0 ? 'passed' : `failed (${signal ? `signal ${signal}` : `exit ${status}`})`}\n`);
      process.stdout.write(Buffer.concat(out));
      resolve(status);
    });
  });
}

const statuses = await Promise.all(names.map(run));
// exitCode, not exit(): the outputs written above are flushed first (a pipe's writes may be asynchronous).
process.exitCode = statuses.find((s) => s !== 0) ?? 0;
