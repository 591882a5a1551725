/**
 * The offline single file built from code, shared by the e2e test
 * (tests/e2e/offline.e2e.ts) and the benchmark (bench/offline.ts); `npm run
 * build:offline` runs the same config with Vite's CLI.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { OFFLINE_FILE } from '../vite.offline.config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds shadowpaging.html into outDir and returns its path and size in
 * bytes. Under vitest NODE_ENV is "test", which would make React's
 * development bundle: production for the build, put back after.
 */
export async function buildOffline(outDir: string): Promise<{ path: string; bytes: number }> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: ROOT, configFile: join(ROOT, 'vite.offline.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
  const path = join(outDir, OFFLINE_FILE);
  return { path, bytes: statSync(path).size };
}
