/**
 * End-to-end tests (`npm run e2e`): the production build in Debian's headless
 * Chromium, driven with playwright-core. Kept apart from the unit tests
 * (vitest.config.ts), which never pick up *.e2e.ts files.
 */
import { defineConfig } from 'vitest/config';

/**
 * Tests that measure the page's main-thread tasks (no task over 50 ms while a
 * heavy scenario opens) run on their own, after the others (`E2E_ALONE=1`, the
 * second half of `npm run e2e`): the other e2e files running in parallel on
 * the same cores would stretch the very tasks they measure.
 */
const ALONE = ['tests/e2e/heavy-open.e2e.ts'];
const alone = process.env.E2E_ALONE === '1';

export default defineConfig({
  test: {
    include: alone ? ALONE : ['tests/e2e/**/*.e2e.ts'],
    exclude: alone ? [] : ALONE,
    environment: 'node',
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
