/** Page helpers for the e2e tests (no assertions library: playwright-core only drives the browser). */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { BLANK_PAGE, launchChromium, ROOT, settle } from './serve.ts';

export const launch = (): Promise<Browser> => launchChromium(inject('chromiumPath'));

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors seen on the page. */
  errors: string[];
}

export interface Viewport {
  width: number;
  height: number;
}

/**
 * The motion pages are opened with. Most files open them with
 * prefers-reduced-motion: reduce, where the app draws each step's end state
 * at once (no fade-in, flash or zap-out, no smooth scrolling): what they check
 * is that end state either way, and the animations' frames were ~100 s of
 * CPU of the suite on CI's 2-core machine. screens.e2e.ts, hidden.e2e.ts and
 * overview.e2e.ts, which check what is on screen, the zap-out and the smooth
 * scroll to a card, open with full motion, as users see the app by default
 * (their tests that read only end states ask for reduce); motion.e2e.ts
 * checks both.
 */
export type Motion = 'reduce' | 'full';
const reducedMotion = (motion: Motion = 'reduce') => (motion === 'reduce' ? 'reduce' : 'no-preference');

export interface OpenOptions {
  /** The page's prefers-reduced-motion (Motion): 'reduce' unless given. */
  motion?: Motion;
  /** Device pixels per CSS pixel: 1.5 with a 853x480 viewport is a 1280x720 window at 150% browser zoom. */
  deviceScaleFactor?: number;
  /** Extra context permissions (e.g. clipboard-read). */
  permissions?: string[];
}

/** Collects the page's uncaught exceptions and console errors into `errors`. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
}

const appUrl = (path: string): string => `${inject('baseUrl')}${path}`;

/** Waits for the app's first render in `page`: the step counter, then two frames and a task (serve.ts settle). */
async function firstRender(page: Page): Promise<void> {
  await page.getByTestId('step-counter').waitFor({ state: 'visible' });
  await settle(page);
}

/**
 * A fresh context (so a fresh store) with a `viewport`-sized window on the
 * app at `path` (appended to the base URL: `''`, `'#sp1/b/…'`, `'?embed=1#…'`),
 * waiting for the first render.
 */
export async function openAt(browser: Browser, viewport: Viewport, path = '', colorScheme: 'light' | 'dark' = 'light', options: OpenOptions = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: options.deviceScaleFactor ?? 1, permissions: options.permissions, reducedMotion: reducedMotion(options.motion) });
  const page = await context.newPage();
  const errors: string[] = [];
  watchErrors(page, errors);
  await page.goto(appUrl(path));
  await firstRender(page);
  return { page, context, errors };
}

export interface OpenedFrame extends Opened {
  /** The app, in embed mode, inside the host page's <iframe>. */
  frame: Frame;
}

/**
 * A host page (`host` sized window) holding the app in an `<iframe>` of
 * `frame` size at `?embed=1` + `fragment`, as a course page embeds it.
 */
export async function openInFrame(browser: Browser, host: Viewport, frame: Viewport, fragment = '', colorScheme: 'light' | 'dark' = 'light', motion?: Motion): Promise<OpenedFrame> {
  const context = await browser.newContext({ viewport: host, colorScheme, reducedMotion: reducedMotion(motion) });
  const page = await context.newPage();
  const errors: string[] = [];
  watchErrors(page, errors);
  const src = `${inject('baseUrl')}?embed=1${fragment}`;
  await page.setContent(
    `<!doctype html><html><head><title>host</title><style>body{margin:16px;font-family:sans-serif}</style></head><body><p>A course page.</p><iframe id="app" title="shadowpaging" src="${src}" width="${frame.width}" height="${frame.height}" style="border:1px solid #888"></iframe></body></html>`,
  );
  const handle = await page.waitForSelector('iframe#app');
  const f = await handle.contentFrame();
  if (!f) throw new Error('the iframe has no frame');
  await f.getByTestId('step-counter').waitFor({ state: 'visible' });
  await f.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));
  return { page, context, errors, frame: f };
}

/**
 * A tab kept for a test file's opens (appSession). A fresh context costs
 * ~3.6 s of CPU a page on CI's 2-core machine (a new renderer process, and
 * the app's script compiled and run cold), the same tab led to the next test
 * ~0.9 s: that was ~300 s of the e2e suite's summed time. What the app reads
 * is as a fresh context gives it: after each open the tab leaves the app for
 * a blank page of its origin (leaveForBlank; serve.ts BLANK_PAGE), and
 * before the next it is reset there (resetKeptPage), with the next open's
 * media features. What stays is what makes it quick: the renderer process,
 * the HTTP and code caches, the tab's history. The context's own settings are
 * the first open's (a page a test opens beside it gets those). After a test
 * that failed (it may have timed out with its calls still running) the tab is
 * closed, and the next open makes a new one.
 */
interface KeptTab {
  context: BrowserContext;
  page: Page;
  /** The current open's errors (watchErrors): emptied when the next open starts, after its check. */
  readonly errors: string[];
}

const blankUrl = (): string => `${new URL(appUrl('')).origin}/${BLANK_PAGE}`;

async function keptTab(browser: Browser, viewport: Viewport, colorScheme: 'light' | 'dark', options: OpenOptions): Promise<KeptTab> {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion: reducedMotion(options.motion), permissions: options.permissions });
  const page = await context.newPage();
  const tab: KeptTab = { context, page, errors: [] };
  watchErrors(page, tab.errors);
  return tab;
}

/**
 * A kept page (appSession's KeptTab, the offline file's tab) leaves what it
 * shows for `blank`, a blank page of the same origin: the document and its
 * workers end, and what they logged on the way has reached `errors` when this
 * returns. False, with a line in `errors`, when it could not (the caller
 * drops the page).
 */
export async function leaveForBlank(page: Page, blank: string, errors: string[]): Promise<boolean> {
  if (page.url() === blank) return true;
  try {
    await page.goto(blank);
    return true;
  } catch (e) {
    errors.push(`the tab could not leave ${page.url()}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/**
 * Puts a kept page back, on `blank`, as a new context gives it to the app:
 * no other tab in its context, empty local and session storage (the tab's:
 * which document it edits; the app keeps nothing in IndexedDB, caches or
 * cookies), no permissions but `permissions`, a `viewport` window, and the
 * mouse at the window's corner (the top bar's background; a fresh page has
 * had no pointer at all).
 */
export async function resetKeptPage(page: Page, blank: string, viewport: Viewport, permissions: readonly string[] = []): Promise<void> {
  const context = page.context();
  for (const other of context.pages()) if (other !== page) await other.close();
  if (page.url() !== blank) await page.goto(blank);
  await page.evaluate(() => {
    localStorage.clear();
    sessionStorage.clear();
  });
  await context.clearPermissions();
  if (permissions.length) await context.grantPermissions([...permissions]);
  await page.setViewportSize(viewport);
  await page.mouse.move(0, 0);
}

/**
 * A test file's browser, launched once, and `open()`: the app in a fresh
 * store, closed after each test, which also checks that the page threw
 * nothing and logged no error. The opens share one tab, reset between them
 * (KeptTab), but for a deviceScaleFactor other than 1, which needs a context
 * of its own. `closeNow()` ends the current one early (a test that opens
 * several). `motion`: the file's Motion (an openAt may still ask for the other).
 */
export function appSession(motion: Motion = 'reduce'): {
  open: (colorScheme?: 'light' | 'dark') => Promise<Page>;
  openAt: (viewport: Viewport, path?: string, colorScheme?: 'light' | 'dark', options?: OpenOptions) => Promise<Page>;
  closeNow: () => Promise<void>;
  browser: () => Browser;
  motion: Motion;
} {
  let browser: Browser;
  let tab: KeptTab | null = null;
  let opened: Opened | null = null;
  const dropTab = async () => {
    const t = tab;
    tab = null;
    await t?.context.close();
  };
  const closeNow = async () => {
    const o = opened;
    opened = null;
    if (!o) return;
    if (o.context !== tab?.context) await o.context.close();
    // Leave the app before the check: what it logs until it ends is this open's.
    else if (!(await leaveForBlank(tab.page, blankUrl(), o.errors))) await dropTab();
    expect(o.errors, o.errors.join('\n')).toEqual([]);
  };
  const openAtKept = async (viewport: Viewport, path: string, colorScheme: 'light' | 'dark', options: OpenOptions): Promise<Opened> => {
    if (tab) {
      try {
        await resetKeptPage(tab.page, blankUrl(), viewport, options.permissions);
        await tab.page.emulateMedia({ media: null, colorScheme, reducedMotion: reducedMotion(options.motion), forcedColors: null });
      } catch {
        // A tab that cannot be reset (it crashed, say) is replaced.
        await dropTab();
      }
    }
    tab ??= await keptTab(browser, viewport, colorScheme, options);
    tab.errors.length = 0;
    await tab.page.goto(appUrl(path));
    await firstRender(tab.page);
    return { page: tab.page, context: tab.context, errors: tab.errors };
  };
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async ({ task }) => {
    try {
      await closeNow();
    } finally {
      // A failed test may have timed out with its calls still running: they must not reach the next test's page.
      if (task.result?.state === 'fail') await dropTab();
    }
  });
  const openAtSession = async (viewport: Viewport, path = '', colorScheme: 'light' | 'dark' = 'light', options: OpenOptions = {}) => {
    await closeNow();
    const o = { motion, ...options };
    opened = (o.deviceScaleFactor ?? 1) !== 1 ? await openAt(browser, viewport, path, colorScheme, o) : await openAtKept(viewport, path, colorScheme, o);
    return opened.page;
  };
  return {
    open: (colorScheme = 'light') => openAtSession({ width: 1600, height: 1000 }, '', colorScheme),
    openAt: openAtSession,
    closeNow,
    browser: () => browser,
    motion,
  };
}

/** A page, or the app's frame inside a host page. */
export type Target = Page | Frame;

export const counterText = (page: Target): Promise<string> =>
  page.getByTestId('step-counter').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

/**
 * Waits until the step counter reads exactly `text` (whitespace collapsed)
 * and the side panel, which follows at a lower priority, shows that step and
 * event too.
 */
export async function waitForCounter(page: Target, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => {
        if ((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim() !== want) return false;
        const m = /^step (\d+) \/ \d+(?: · event (\d+) \/ \d+)?$/.exec(want);
        const side = document.querySelector<HTMLElement>('aside.side');
        return !m || !side || (side.dataset.step === m[1] && side.dataset.event === (m[2] ?? ''));
      },
      text,
      { timeout: 5_000 },
    );
  } catch {
    throw new Error(`step counter: expected "${text}", got "${await counterText(page)}"`);
  }
}

export interface ShadowPageAttrs {
  sp: string;
  level: string;
  quadrant: string;
  gfn: string;
  rootSlot: string;
}

export const shadowPages = (page: Page, selector = '[data-testid=shadow-page]'): Promise<ShadowPageAttrs[]> =>
  page.$$eval(selector, (els) =>
    els.map((e) => ({
      sp: e.getAttribute('data-sp') ?? '',
      level: e.getAttribute('data-level') ?? '',
      quadrant: e.getAttribute('data-quadrant') ?? '',
      gfn: e.getAttribute('data-gfn') ?? '',
      rootSlot: e.getAttribute('data-root-slot') ?? '',
    })),
  );

/** What is on the canvas: the shadow pages (id, quadrant, gfn) and every spte row as its accessible name (its text and its bits decoded). */
export async function picture(page: Page): Promise<{ sps: string[]; sptes: string[] }> {
  const sps = (await shadowPages(page)).map((p) => `sp ${p.sp} q${p.quadrant} gfn ${p.gfn}`).sort();
  const sptes = await page.$$eval('[data-testid=shadow-page]', (els) =>
    els.flatMap((sp) => [...sp.querySelectorAll('[data-testid=spte]')].map((r) => `sp ${sp.getAttribute('data-sp')}: ${(r.getAttribute('aria-label') ?? '').replace(/\s+/g, ' ').trim()}`)),
  );
  return { sps, sptes: sptes.sort() };
}

export const explanationText = (page: Page): Promise<string> =>
  page.getByTestId('explanation').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' '));

/** Waits until the explanation (rendered at a lower priority than the tables) contains `text`. */
export async function waitForExplanation(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction((want) => (document.querySelector('[data-testid=explanation]')?.textContent ?? '').replace(/\s+/g, ' ').includes(want), text, { timeout: 5_000 });
  } catch {
    throw new Error(`explanation: expected it to contain "${text}", got "${await explanationText(page)}"`);
  }
}

export const isDark = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.classList.contains('dark'));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(`${ROOT}/screenshots`, { recursive: true });
  await page.screenshot({ path: `${ROOT}/screenshots/e2e-${name}.png` });
}

// --- axe-core

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; failureSummary: string }>;
}

/** Runs axe-core on the page (or frame) and returns its serious and critical violations. */
export async function seriousViolations(page: Target, within?: string): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async (sel) => {
    const axe = (window as unknown as { axe: { run: (ctx: Document | { include: string[][] }, opts: object) => Promise<{ violations: Array<Record<string, unknown>> }> } }).axe;
    // `within`: only the nodes in that element are checked (colours still against the whole page).
    const r = await axe.run(sel ? { include: [[sel]] } : document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: String(v.id),
      impact: (v.impact as string | null) ?? null,
      help: String(v.help),
      nodes: (v.nodes as Array<{ target: unknown[]; html: string; failureSummary?: string }>).map((n) => ({
        target: n.target.map(String),
        html: n.html,
        failureSummary: n.failureSummary ?? '',
      })),
    }));
  }, within);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per failing node: rule id, impact, selector, element, message. */
export const describeViolations = (vs: Violation[]): string[] =>
  vs.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(' ')} ${n.html}: ${v.help}. ${n.failureSummary.replace(/\s+/g, ' ')}`));

// --- what is on screen

/**
 * Waits until the tables' scroll position has held still for 20 frames:
 * presenting mode and the embed scroll smoothly to the step's cards, and what
 * is on screen is judged where the scrolling ends.
 */
export async function scrollSettled(page: Target): Promise<void> {
  const deadline = Date.now() + 5_000;
  // evaluate awaits the promise (waitForFunction would take the promise itself as a truthy answer).
  while (
    !(await page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const wrap = document.querySelector('.canvas-wrap');
          const at = () => `${wrap?.scrollTop ?? 0},${wrap?.scrollLeft ?? 0}`;
          const first = at();
          let frames = 0;
          const tick = () => (at() !== first ? resolve(false) : ++frames >= 20 ? resolve(true) : requestAnimationFrame(tick));
          requestAnimationFrame(tick);
        }),
    ))
  ) {
    if (Date.now() > deadline) throw new Error('the tables kept scrolling for 5 s');
  }
}

/**
 * For each selector, each card it matches (a `g` holding a `rect.card`), or
 * entry row (a `g` holding a `rect.row-bg`), must be wholly inside the window
 * and on top: `document.elementFromPoint` just inside its four corners and at
 * its centre hits the card (or row) itself. Returns
 * one line per problem (empty: all fine), and how many cards were checked
 * per selector.
 */
export async function cardsOnTop(page: Target, selectors: string[]): Promise<{ problems: string[]; counts: number[] }> {
  await scrollSettled(page);
  return page.evaluate((sels) => {
    const problems: string[] = [];
    const counts: number[] = [];
    const W = window.innerWidth;
    const H = window.innerHeight;
    for (const sel of sels) {
      const cards = [...document.querySelectorAll<SVGGElement>(sel)];
      counts.push(cards.length);
      for (const g of cards) {
        const name = `${sel} (${g.getAttribute('data-key') ?? ''})`;
        // A card's frame, or an entry row's background (a row the step is about).
        const rect = g.querySelector<SVGRectElement>(':scope > rect.card, :scope > rect.row-bg');
        if (!rect) {
          problems.push(`${name}: no rect.card or rect.row-bg`);
          continue;
        }
        const r = rect.getBoundingClientRect();
        const box = `[${r.left.toFixed(1)}, ${r.top.toFixed(1)}, ${r.right.toFixed(1)}, ${r.bottom.toFixed(1)}]`;
        if (r.width <= 0 || r.height <= 0) {
          problems.push(`${name}: empty box ${box}`);
          continue;
        }
        if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) problems.push(`${name}: box ${box} not wholly inside the ${W}x${H} window`);
        // Just inside the rounded corners (rx 6 in the drawing's units, scaled).
        const scale = rect.getScreenCTM()?.a ?? 1;
        const inset = Math.max(3, Math.ceil(6 * scale * (1 - Math.SQRT1_2)) + 1);
        const points: Array<[string, number, number]> = [
          ['top-left', r.left + inset, r.top + inset],
          ['top-right', r.right - inset, r.top + inset],
          ['bottom-left', r.left + inset, r.bottom - inset],
          ['bottom-right', r.right - inset, r.bottom - inset],
          ['centre', (r.left + r.right) / 2, (r.top + r.bottom) / 2],
        ];
        for (const [where, x, y] of points) {
          const hit = document.elementFromPoint(x, y);
          if (!hit || !g.contains(hit)) {
            const what = hit ? `<${hit.tagName.toLowerCase()}${hit.id ? `#${hit.id}` : ''}${hit.getAttribute('class') ? `.${hit.getAttribute('class')!.trim().split(/\s+/).join('.')}` : ''}>` : 'nothing';
            problems.push(`${name}: at its ${where} (${x.toFixed(0)}, ${y.toFixed(0)}) the top element is ${what}, not the card`);
          }
        }
      }
    }
    return { problems, counts };
  }, selectors);
}

/**
 * Every visible piece of text smaller than `min` CSS px on screen: text nodes
 * with non-empty trimmed text, rendered (client rects not empty, not
 * display:none or visibility:hidden), at least partly inside the window and
 * not clipped away by a scrolling ancestor; `.sr-only` and SVG `<title>`
 * skipped. HTML text: its element's computed font size; SVG text: the
 * computed font size times the drawing's scale on screen. Each offender as
 * `"text" 9.2px (<text.row-text> 12px × 0.77)`.
 */
export function smallText(page: Target, min = 11): Promise<string[]> {
  return page.evaluate((minPx) => {
    const W = window.innerWidth;
    const H = window.innerHeight;
    const out = new Map<string, string>();
    const clipped = (el: Element, r: DOMRect): boolean => {
      let left = Math.max(r.left, 0);
      let top = Math.max(r.top, 0);
      let right = Math.min(r.right, W);
      let bottom = Math.min(r.bottom, H);
      for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
        const b = a.getBoundingClientRect();
        left = Math.max(left, b.left);
        top = Math.max(top, b.top);
        right = Math.min(right, b.right);
        bottom = Math.min(bottom, b.bottom);
      }
      return right - left <= 0.5 || bottom - top <= 0.5;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (!text) continue;
      const el = n.parentElement;
      if (!el) continue;
      if (el.closest('.sr-only, script, style, template, noscript, option, title, textarea')) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.visibility === 'collapse') continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue;
      if (rects.every((r) => r.right <= 0 || r.bottom <= 0 || r.left >= W || r.top >= H || clipped(el, r))) continue;
      const size = parseFloat(cs.fontSize);
      let scale = 1;
      if (el instanceof SVGGraphicsElement) {
        const m = el.getScreenCTM();
        if (m) scale = Math.hypot(m.a, m.b);
      }
      const eff = size * scale;
      if (eff < minPx - 0.01) {
        const tag = `<${el.tagName.toLowerCase()}${el.getAttribute('class') ? `.${el.getAttribute('class')!.trim().split(/\s+/).join('.')}` : ''}>`;
        const key = `${text.slice(0, 60)}|${eff.toFixed(1)}`;
        if (!out.has(key)) out.set(key, `"${text.slice(0, 60)}" ${eff.toFixed(1)}px (${tag} ${size}px${scale !== 1 ? ` × ${scale.toFixed(3)}` : ''})`);
      }
    }
    // A <select> shows its chosen option in the select's own font.
    for (const s of document.querySelectorAll('select')) {
      const r = s.getBoundingClientRect();
      if (!r.width || r.right <= 0 || r.bottom <= 0 || r.left >= W || r.top >= H) continue;
      const size = parseFloat(getComputedStyle(s).fontSize);
      if (size < minPx - 0.01) out.set(`select|${size}`, `<select ${s.getAttribute('aria-label') ?? ''}> ${size}px`);
    }
    return [...out.values()];
  }, min);
}

