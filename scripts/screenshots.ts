/**
 * `npm run screenshots`: serve the built app, open it in Debian's headless
 * Chromium and save screenshots of the main states under screenshots/
 * (git-ignored) for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main() {
  mkdirSync('screenshots', { recursive: true });
  const server = await preview({ preview: { port: 4179, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4179/';
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    for (const theme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, colorScheme: theme });
      await page.goto(url);
      await page.getByTestId('step-counter').waitFor();
      await page.screenshot({ path: `screenshots/${theme}-0-initial.png` });
      for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
      await page.screenshot({ path: `screenshots/${theme}-2-two-quadrants.png` });
      if (theme === 'light') {
        await page.keyboard.press('e');
        await page.keyboard.press('Home');
        await page.keyboard.press('ArrowRight');
        for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowRight');
        await page.screenshot({ path: `screenshots/${theme}-event-mode.png` });
        await page.keyboard.press('e');
        await page.keyboard.press('End');
        await page.screenshot({ path: `screenshots/${theme}-end.png` });
        await page.keyboard.press('?');
        await page.screenshot({ path: `screenshots/${theme}-help.png` });
        await page.keyboard.press('Escape');
        await page.getByTestId('edit-toggle').click();
        await page.screenshot({ path: `screenshots/${theme}-editor.png` });
        await page.getByTestId('edit-toggle').click();
        await page.getByTestId('scenario-picker').selectOption('sweep-64-tables');
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        for (let i = 0; i < 45; i++) await page.keyboard.press('ArrowRight');
        await page.keyboard.press('o');
        await page.getByTestId('overview').waitFor();
        await page.screenshot({ path: `screenshots/${theme}-overview.png` });
        await page.keyboard.press('o');
        await page.getByTestId('scenario-picker').selectOption('pse-direct-pages');
        await page.getByTestId('compare-toggle').click();
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        await page.keyboard.press('ArrowRight');
        await page.screenshot({ path: `screenshots/${theme}-compare.png` });
        const embed = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        await embed.goto(`${url}?embed=1`);
        await embed.getByTestId('step-counter').waitFor();
        await embed.keyboard.press('ArrowRight');
        await embed.screenshot({ path: 'screenshots/embed.png' });
        await embed.goto(`${url}#sp1/z/brokenlink`);
        await embed.reload();
        await embed.getByTestId('step-counter').waitFor();
        await embed.screenshot({ path: 'screenshots/broken-link.png' });
        await embed.close();
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
  }
  console.log('screenshots written to screenshots/');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
