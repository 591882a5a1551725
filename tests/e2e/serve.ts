/**
 * Shared by the e2e global setup and the UI benchmark: make sure Debian's
 * Chromium is there, build the app in production mode, serve the build with
 * vite's preview server on a free 127.0.0.1 port, and launch the browser.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, preview } from 'vite';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A blank page the e2e setup writes beside the build (global-setup.ts), served at the app's origin. */
export const BLANK_PAGE = 'e2e-blank.html';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs scripts/ensure-chromium.sh (installs Debian's chromium when missing) and returns the binary's path. */
export function ensureChromium(): string {
  const out = execFileSync('bash', [resolve(ROOT, 'scripts/ensure-chromium.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = out.trim().split('\n').pop();
  if (!path) throw new Error('scripts/ensure-chromium.sh printed no path');
  return path;
}

/**
 * Two frames and a task: React's passive effects (the keyboard listener is
 * added in one) have run by then, so no early key press is lost.
 */
export const settle = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/**
 * `vite build` in production mode into outDir. Under vitest NODE_ENV is
 * "test", which would make React's development bundle: override it for the
 * build and put it back after.
 */
export async function buildApp(outDir: string): Promise<void> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: ROOT, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error('no free port'))));
    });
  });
}

export interface Served {
  url: string;
  close: () => Promise<void>;
}

/** Serves outDir with vite's preview server on a free port of 127.0.0.1. */
export async function serveBuild(outDir: string): Promise<Served> {
  let lastError: unknown;
  // The port is free when asked for; retry in the unlikely case it was taken since.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const server = await preview({
        root: ROOT,
        logLevel: 'warn',
        build: { outDir },
        preview: { host: '127.0.0.1', port, strictPort: true, open: false },
      });
      return {
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((r) => server.httpServer.close(() => r())),
      };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** The window sizes issue 14 names: a classroom projector and three laptops/monitors. */
export const CLASSROOM_SIZES = [
  [1280, 720],
  [1366, 768],
  [1440, 900],
  [1920, 1080],
] as const;
