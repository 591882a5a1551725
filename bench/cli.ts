/**
 * The trace CLI's refusal of an endless input, for `npm run bench`
 * (`--reliability`): `reliability.cliDevZeroRefuseMs` is the wall time from
 * spawning `node --import tsx src/cli/trace.ts /dev/zero` to its exit (status
 * 2, "longer than the limit"), the median of 7 runs. Target: 1,000 ms. It
 * includes starting Node and tsx, as a user waiting for the CLI sees it; the
 * reading itself stops after PARSER_LIMITS.maxTextChars plus one chunk
 * (src/cli/read-input.ts; the bytes are counted in tests/cli-input-limits.test.ts).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { median } from 'd3';

const RUNS = 7;

function refuseOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/trace.ts', '/dev/zero'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 2 || !stderr.includes('longer than the limit')) reject(new Error(`trace CLI on /dev/zero: exit ${code}, ${JSON.stringify(stderr)}`));
      else resolve(ms);
    });
  });
}

export async function benchCli(): Promise<Record<string, number>> {
  const times: number[] = [];
  for (let k = 0; k < RUNS; k++) times.push(await refuseOnce());
  return { 'reliability.cliDevZeroRefuseMs': Math.round(median(times)!) };
}
