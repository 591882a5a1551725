import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 60_000,
    // Every core: the default left one free, which on a 2-core machine ran the
    // files one at a time (~310 s of CI's unit tests today; ~220 s with two).
    maxWorkers: availableParallelism(),
  },
});
