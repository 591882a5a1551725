/**
 * `npm run screenshots`: serve the built app, open it in Debian's headless
 * Chromium and save screenshots of the main states under screenshots/
 * (git-ignored) for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { preview } from 'vite';
import { CLASSROOM_SIZES } from '../tests/e2e/serve.ts';

/** The default scenario's permalink at `step`. */
const link = (step: number, extra = '') => `#sp1/b/quadrants-32bit/1/s=${step}${extra}`;

/** Waits until the step counter reads `text` (and the side panel caught up). */
async function waitForCounter(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (want) => {
      if ((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim() !== want) return false;
      const m = /^step (\d+) \//.exec(want);
      const side = document.querySelector<HTMLElement>('aside.side');
      return !m || !side || side.dataset.step === m[1];
    },
    text,
    { timeout: 10_000 },
  );
}

interface Shot {
  width: number;
  height: number;
  theme?: 'light' | 'dark';
  /** Appended to the base URL. */
  path?: string;
  deviceScaleFactor?: number;
}

/** A fresh page of `shot`'s size and theme on the app, after the first render. */
async function openShot(browser: Browser, url: string, shot: Shot): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: shot.width, height: shot.height }, colorScheme: shot.theme ?? 'light', deviceScaleFactor: shot.deviceScaleFactor ?? 1 });
  await page.goto(`${url}${shot.path ?? ''}`);
  await page.getByTestId('step-counter').waitFor();
  return page;
}

const save = (page: Page, name: string, fullPage = false) => page.screenshot({ path: `screenshots/${name}.png`, animations: 'disabled', fullPage });

/**
 * Issue 14's screens: the default scenario at steps 2 and 12 at four window
 * sizes in both themes, the 800x500 and 640x400 embeds, presenting mode, the
 * drawer (a 1280x720 window at 150% zoom, where the side panel is a drawer)
 * and the Embed dialog.
 */
async function screens(browser: Browser, url: string): Promise<void> {
  for (const [width, height] of CLASSROOM_SIZES) {
    for (const theme of ['light', 'dark'] as const) {
      const page = await openShot(browser, url, { width, height, theme, path: link(2) });
      await waitForCounter(page, 'step 2 / 12');
      await save(page, `fit-${width}x${height}-${theme}-step2`);
      await page.keyboard.press('End');
      await waitForCounter(page, 'step 12 / 12');
      await save(page, `fit-${width}x${height}-${theme}-step12`);
      await page.close();
    }
  }
  for (const [width, height] of [
    [800, 500],
    [640, 400],
  ] as const) {
    for (const step of [0, 2]) {
      const page = await openShot(browser, url, { width, height, path: `?embed=1${link(step)}` });
      await waitForCounter(page, `step ${step} / 12`);
      await save(page, `embed-${width}x${height}-step${step}`);
      await page.close();
    }
  }
  for (const theme of ['light', 'dark'] as const) {
    const page = await openShot(browser, url, { width: 1280, height: 720, theme, path: link(2, '&p=1') });
    await waitForCounter(page, 'step 2 / 12');
    await page.getByTestId('caption').waitFor();
    await save(page, `present-1280x720-${theme}-step2`);
    await page.close();
  }
  // At 1280x720 the side panel is docked; at 150% zoom (853x480 CSS px) it is a drawer.
  {
    const page = await openShot(browser, url, { width: 853, height: 480, deviceScaleFactor: 1.5, path: link(2) });
    await waitForCounter(page, 'step 2 / 12');
    await save(page, 'zoom150-1280x720-step2');
    await page.getByTestId('panel-toggle').click();
    await page.locator('aside#side-panel').waitFor({ state: 'visible' });
    await save(page, 'drawer-open-1280x720-zoom150-step2');
    // The short window scrolls the page: the whole page, to see where the drawer went.
    await save(page, 'drawer-open-1280x720-zoom150-step2-full-page', true);
    await page.close();
  }
  {
    const page = await openShot(browser, url, { width: 1280, height: 720, path: link(2) });
    await waitForCounter(page, 'step 2 / 12');
    await page.getByTestId('panel-toggle').click();
    await page.locator('aside#side-panel').waitFor({ state: 'hidden' });
    await save(page, 'panel-closed-1280x720-step2');
    await page.getByTestId('panel-toggle').click();
    await page.getByTestId('embed-toggle').click();
    await page.getByTestId('embed-snippet').waitFor();
    await save(page, 'embed-dialog-1280x720');
    await page.close();
  }
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The caption, a glossary definition, the legend and Compare at 1280x720 (a projector), in both themes. */
async function explainShots(browser: Browser, url: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: theme });
    await page.goto(`${url}#sp1/b/quadrants-32bit/1/s=2`);
    await waitForCounter(page, 'step 2 / 12');
    await page.getByTestId('side-caption').waitFor();
    await save(page, `caption-${theme}`);
    const q1 = page.locator('aside .term', { hasText: /^q1$/ }).first();
    await q1.hover();
    await page.getByRole('tooltip').waitFor();
    await save(page, `glossary-q1-${theme}`);
    await page.mouse.move(5, 5);
    await page.getByRole('button', { name: 'Legend', exact: true }).click();
    await page.getByTestId('legend').waitFor();
    await save(page, `legend-${theme}`);
    await page.keyboard.press('Escape');
    await page.goto(`${url}#sp1/b/pse-direct-pages/1/s=1&c=before.seed.merged.merged-no-7`);
    await page.getByTestId('compare').waitFor();
    await save(page, `compare-full-width-${theme}`);
    await page.close();
  }
}

async function main() {
  mkdirSync('screenshots', { recursive: true });
  const server = await preview({ preview: { port: 4179, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4179/';
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await screens(browser, url);
    await explainShots(browser, url);
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
