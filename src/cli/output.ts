/**
 * Writing a CLI's output to stdout, at the pace its reader takes it, and
 * quietly stopping when the reader goes away.
 *
 * Why: Node's stdout to a pipe is not synchronous here: a write the pipe
 * cannot take at once is queued in memory, and the trace CLI, writing as
 * fast as the steps ran, queued all of a trace a slow reader had not taken
 * yet (`npm run trace -- FILE | less`: 17.8 MB for the 100,000-step bench
 * file without events; with events a 1,000,000-step file's is ~1.9 GB).
 * Now the next piece is made only after the last one was taken ('drain').
 * And `npm run trace -- FILE | head` closed the pipe after a few lines: the
 * CLI died with Node's "Unhandled 'error' event ... write EPIPE" and its
 * stack, after running every remaining step. A closed pipe now ends the run
 * quietly (status 0: the reader chose to stop, as `head` does); any other
 * write error (a full disk, an I/O error) is reported in one line, status 1.
 * To a file (or /dev/null) stdout is synchronous and never waits.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Installs the stdout error handling above (once per process). `closedStatus`:
 * the status for a closed pipe, 0 unless the output already carries a verdict
 * (the grader's: its report cut short by `| head` still exits 1 for a wrong
 * answer, which `set -o pipefail` passes on).
 */
export function handleStdoutErrors(closedStatus: () => number = () => 0): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(closedStatus());
    process.stderr.write(`cannot write the output: ${e.message}\n`);
    process.exit(1);
  });
}

/**
 * Writes each piece to `out` (stdout), waiting for its reader to take what is
 * queued before the next piece is asked for (so a generator's work is paced
 * too). On stdout a write error ends the process (handleStdoutErrors); on
 * another stream it rejects.
 */
export async function writeAll(pieces: Iterable<string>, out: Writable = process.stdout): Promise<void> {
  for (const piece of pieces) {
    if (!out.write(piece)) await once(out, 'drain');
  }
}
