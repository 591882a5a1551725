/**
 * The heavy scenarios of issue 16, shared by tests/e2e/heavy-open.e2e.ts and
 * the benchmark (bench/heavy.ts), and the page-side long-task recorder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../../src/scenarios/library/index.ts';
import { DEFAULT_VIEW, encodePermalink } from '../../src/scenarios/permalink.ts';
import { generateScenario100k } from '../../bench/scenario100k.ts';

/**
 * The 1,923-step link: a paging-off guest and 1,923 zap-alls (each frees and
 * rebuilds KVM's four roots), inline in the link (about 1,760 characters;
 * its JSON, 32,766 characters, is just under the 32,768 a link may hold).
 * Built with the app's
 * own encoder.
 */
export function zapAllLink(): string {
  const json = { format: 'shadowpaging/v1', title: 'Zap', guest: { mode: 'off' }, steps: Array.from({ length: 1923 }, () => ({ op: 'zap-all' })) };
  return encodePermalink({ scenario: { kind: 'inline', json }, view: DEFAULT_VIEW });
}

/**
 * The 10,000-step scenario: the default built-in (quadrants-32bit: a 32-bit
 * guest whose page directory is shadowed by four quadrant pages; hits, shadow
 * faults, guest faults, CR3 reloads) with its 12 steps repeated to 10,000,
 * pretty-printed as a file (about 700,000 characters). Its JSON is far over a
 * link's 32,768 characters, so it is opened through the editor's Import.
 */
export function tenThousandStepsText(): string {
  const base = LIBRARY.find((e) => e.id === DEFAULT_SCENARIO_ID)!.json as { steps: unknown[] };
  const steps = Array.from({ length: 10_000 }, (_, i) => base.steps[i % base.steps.length]);
  return JSON.stringify({ ...base, title: '10,000 steps of quadrants', steps }, null, 2);
}

/**
 * The 10,000-step scenario as a file on disk, for setInputFiles: given a path,
 * the browser reads the file itself, whereas a buffer is turned into a File by
 * script in the page (base64 of ~700 KB: a 60-130 ms task that is the test
 * harness's, not the app's).
 */
export function tenThousandStepsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowpaging-heavy-'));
  const path = join(dir, 'ten-thousand.json');
  writeFileSync(path, tenThousandStepsText());
  return path;
}

/**
 * A file at the step cap: issue 17's benchmark scenario (4 processes, guest
 * page-table edits, CR3 switches) run to 1,000,000 steps, ~47 MB of JSON.
 */
export function millionStepsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowpaging-heavy-'));
  const path = join(dir, 'million.json');
  writeFileSync(path, JSON.stringify(generateScenario100k(1_000_000).toJson()));
  return path;
}

/**
 * Installed before the app's scripts (page.addInitScript): whether the
 * progress note (and the Compare view's running note) was ever in the page,
 * and every text the progress note (and the Compare view's count) showed: a
 * quick build can come and go between two looks from the test.
 */
export const NOTE_RECORDER = `
  window.__noteSeen = false;
  window.__noteTexts = [];
  window.__compareRunningSeen = false;
  window.__compareProgress = [];
  new MutationObserver(() => {
    if (document.querySelector('[data-testid=loading-note]')) window.__noteSeen = true;
    if (document.querySelector('[data-testid=compare-running]')) window.__compareRunningSeen = true;
    const p = document.querySelector('[data-testid=compare-progress]')?.textContent;
    if (p && window.__compareProgress[window.__compareProgress.length - 1] !== p) window.__compareProgress.push(p);
    const t = document.querySelector('[data-testid=loading-text]')?.textContent;
    if (t && window.__noteTexts[window.__noteTexts.length - 1] !== t) window.__noteTexts.push(t);
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

/** Waits (up to `timeout`) until the step counter reads `text`. */
export async function waitForSteps(page: Page, text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((want) => (document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim() === want, text, { timeout, polling: 100 });
}

/** Every text the progress note has shown so far. */
export const noteTexts = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __noteTexts: string[] }).__noteTexts);
