/**
 * End-to-end tests (`npm run e2e`): the production build in Debian's headless
 * Chromium, driven with playwright-core. Kept apart from the unit tests
 * (vitest.config.ts), which never pick up *.e2e.ts files.
 */
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    // Files on every core (at most 4: each runs its own Chromium). On the
    // 2-core CI machine the default (one worker) took 681 s, two take ~600 s.
    maxWorkers: Math.min(4, availableParallelism()),
  },
});
