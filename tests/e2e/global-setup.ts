/**
 * Global setup of the e2e project (vitest.e2e.config.ts): ensure Chromium,
 * build the app in production mode into a temp directory, serve it with
 * vite preview on a free 127.0.0.1 port; tear it all down after the run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BLANK_PAGE, buildApp, ensureChromium, serveBuild } from './serve.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject) {
  const chromiumPath = ensureChromium();
  const outDir = mkdtempSync(join(tmpdir(), 'shadowpaging-e2e-'));
  try {
    await buildApp(outDir);
    // A blank page of the app's origin, where helpers.ts resets a kept tab (KeptTab).
    // Its own icon: a document without one makes the browser ask for
    // /favicon.ico, whose 404 the next open would log as a console error.
    writeFileSync(join(outDir, BLANK_PAGE), '<!doctype html><html lang="en"><head><link rel="icon" href="data:,"><title>blank</title></head><body></body></html>\n');
    const served = await serveBuild(outDir);
    project.provide('baseUrl', served.url);
    project.provide('chromiumPath', chromiumPath);
    return async () => {
      await served.close();
      rmSync(outDir, { recursive: true, force: true });
    };
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
}
