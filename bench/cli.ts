/**
 * The trace CLI's refusal of endless or oversized input, for `npm run bench`
 * (`--reliability`), each the median of 7 runs of the wall time from spawning
 * `node --import tsx src/cli/trace.ts` to its exit with status 2, including
 * starting Node and tsx, as a user waiting for the CLI sees it. Target for
 * both: 1,000 ms (issue 16: "/dev/zero and a 200 MB stdin refused within 1 s").
 *
 * - `reliability.cliDevZeroRefuseMs`: the input is `/dev/zero`. Its first byte
 *   is a NUL, which JSON text never holds, so it is refused there
 *   (src/cli/read-input.ts).
 * - `reliability.cliStdin200MBRefuseMs`: 200 MB of spaces written to stdin:
 *   text that could be JSON, so it is refused only at the parser's size cap
 *   (PARSER_LIMITS.maxTextChars plus one chunk read; counted in
 *   tests/cli-input-limits.test.ts).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { median } from 'd3';

const RUNS = 7;
const CHUNK = 64 * 1024;

function refuseOnce(input: 'dev-zero' | 'stdin-200MB', expect: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/trace.ts', input === 'dev-zero' ? '/dev/zero' : '-'], { stdio: [input === 'dev-zero' ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    if (input === 'stdin-200MB') {
      // Written as the CLI reads it; once it exits, the pipe breaks and writing stops.
      const block = Buffer.alloc(CHUNK, 0x20);
      let written = 0;
      let open = true;
      child.stdin!.on('error', () => (open = false));
      child.on('close', () => (open = false));
      const pump = () => {
        while (open && written < 200_000_000) {
          written += CHUNK;
          if (!child.stdin!.write(block)) return void child.stdin!.once('drain', pump);
        }
        if (open) child.stdin!.end();
      };
      pump();
    }
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 2 || !stderr.includes(expect)) reject(new Error(`trace CLI on ${input}: exit ${code}, ${JSON.stringify(stderr)}`));
      else resolve(ms);
    });
  });
}

export async function benchCli(): Promise<Record<string, number>> {
  const zero: number[] = [];
  const stdin: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    zero.push(await refuseOnce('dev-zero', 'is a NUL byte'));
    stdin.push(await refuseOnce('stdin-200MB', 'longer than the limit'));
  }
  return { 'reliability.cliDevZeroRefuseMs': Math.round(median(zero)!), 'reliability.cliStdin200MBRefuseMs': Math.round(median(stdin)!) };
}
