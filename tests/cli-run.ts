/**
 * The CLIs as `npm run trace` / `npm run grade` run them: scripts/cli.mjs and
 * its bundle (rebuilt when a source is newer). Through `--import tsx` each
 * spawn spent ~1 s transpiling the sources; the bundle starts in ~0.15 s.
 * tests/cli-bundle.test.ts checks that the bundle prints what the sources do.
 */
import { spawn, type SpawnOptionsWithoutStdio, spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';

/** The node arguments that run a CLI (src/cli/NAME.ts). */
const cliArgs = (name: 'trace' | 'grade'): string[] => ['scripts/cli.mjs', name];

/** Runs a CLI to its end: its stdout, stderr and exit status. */
export const runCli = (name: 'trace' | 'grade', args: string[], options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> = {}) =>
  spawnSync(process.execPath, [...cliArgs(name), ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, ...options });

/** Starts a CLI with pipes (to write its stdin as it runs). */
export const startCli = (name: 'trace' | 'grade', args: string[], options: SpawnOptionsWithoutStdio = {}) =>
  spawn(process.execPath, [...cliArgs(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...options });
