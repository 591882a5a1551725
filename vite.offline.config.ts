/**
 * `npm run build:offline`: the whole app as one HTML file,
 * dist-offline/shadowpaging.html, that opens from disk (file://) for labs
 * without network. A browser forbids a file:// page to load other files
 * (module scripts, stylesheets and workers by URL are fetched, and a file://
 * origin is opaque), so everything the page needs is written into the HTML:
 * the script and the stylesheet inline, small files (the icon) as data: URLs,
 * and each Web Worker built into the script and started from a blob: URL.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type Plugin, type UserConfig } from 'vite';
import base from './vite.config.ts';

export const OFFLINE_DIR = 'dist-offline';
export const OFFLINE_FILE = 'shadowpaging.html';

/**
 * `new Worker(new URL('./x.worker.ts', import.meta.url), options)` makes Vite
 * emit the worker as a file of its own, which file:// cannot load. Rewritten
 * to Vite's `?worker&inline` import, the worker's code is bundled into the
 * page and started from a blob: URL, and the app's source stays as it is.
 */
const WORKER_CALL = /new\s+Worker\(\s*new\s+URL\(\s*(['"])([^'"]+\.worker\.[cm]?[jt]s)\1\s*,\s*import\.meta\.url\s*\)\s*(?:,\s*(\{[^{}]*\})\s*)?\)/g;

export function inlineWorkers(): Plugin {
  return {
    name: 'sim-offline-inline-workers',
    enforce: 'pre',
    transform(code, id) {
      if (id.includes('/node_modules/') || id.includes('?') || !code.includes('new Worker')) return null;
      const imports: string[] = [];
      const out = code.replace(WORKER_CALL, (_all, _q: string, spec: string, options: string | undefined) => {
        const name = `__sim_offline_worker_${imports.length}`;
        imports.push(`import ${name} from ${JSON.stringify(`${spec}?worker&inline`)};`);
        // Vite's wrapper passes on only the options' name: the worker bundle is an IIFE (Vite's
        // default worker format) started as a classic worker, which needs no module loading.
        return `new ${name}(${options ?? ''})`;
      });
      if (!imports.length) return null;
      return { code: `${imports.join('\n')}\n${out}`, map: null };
    },
  };
}

/**
 * Inline script text must not hold `</script` (it would end the element):
 * `<\/script` reads the same in a JS string, template or regex. `<!--` (with a
 * later `<script`) would change how the HTML parser ends the element, and has
 * no escape that is the same in every JS context: refused (the app has none).
 */
function escapeScript(js: string): string {
  if (js.includes('<!--')) throw new Error('offline build: the script holds "<!--", which an inline <script> cannot carry safely; write it as "<" + "!--" in the source');
  return js.replace(/<\/(script)/gi, '<\\/$1');
}
const escapeStyle = (css: string) => css.replace(/<\/(style)/gi, '<\\/$1');

/**
 * After the build: the chunk and the stylesheet go into the HTML as inline
 * <script type="module"> and <style>, are dropped from the output, and the
 * HTML is renamed shadowpaging.html. Fails the build if anything the page
 * would load from disk is left.
 */
export function singleFile(): Plugin {
  return {
    name: 'sim-offline-single-file',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset') throw new Error('offline build: no index.html in the bundle');
      let text = String(html.source);
      for (const [name, file] of Object.entries(bundle)) {
        if (name === 'index.html') continue;
        const ref = new RegExp(`<script\\b[^>]*\\bsrc="(?:\\./|/)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*></script>`);
        const link = new RegExp(`<link\\b[^>]*\\bhref="(?:\\./|/)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>`);
        if (file.type === 'chunk' && ref.test(text)) {
          // A function replacement: `$` in the code must not be read as a pattern.
          text = text.replace(ref, () => `<script type="module">${escapeScript(file.code)}</script>`);
          delete bundle[name];
        } else if (file.type === 'asset' && name.endsWith('.css') && link.test(text)) {
          text = text.replace(link, () => `<style>${escapeStyle(String(file.source))}</style>`);
          delete bundle[name];
        } else if (file.type === 'chunk' && !ref.test(text)) {
          // A modulepreload link or a lazily imported chunk cannot be loaded from file://.
          throw new Error(`offline build: ${name} is a separate chunk; the offline file must be one file (no dynamic import())`);
        }
      }
      text = text.replace(/<link\b[^>]*rel="modulepreload"[^>]*>\s*/g, '');
      const left = Object.keys(bundle).filter((n) => n !== 'index.html');
      if (left.length) throw new Error(`offline build: files left beside the page (a file:// page cannot load them): ${left.join(', ')}`);
      // Attributes of the page's own tags, not text inside the inline script and style.
      const tags = text.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, (t) => t.slice(0, t.indexOf('>') + 1)).replace(/<style>[\s\S]*?<\/style>/g, '');
      const refs = [...tags.matchAll(/\b(?:src|href)="(?!data:|#|https?:|mailto:)([^"]+)"/g)].map((m) => m[1]);
      if (refs.length) throw new Error(`offline build: the page still refers to files beside it: ${refs.join(', ')}`);
      delete bundle['index.html'];
      this.emitFile({ type: 'asset', fileName: OFFLINE_FILE, source: text });
    },
  };
}

/** The icon in public/ is copied beside index.html by a normal build; here it goes into the page. */
function inlineIcon(): Plugin {
  const svg = readFileSync(fileURLToPath(new URL('./public/favicon.svg', import.meta.url)), 'utf8');
  return {
    name: 'sim-offline-icon',
    transformIndexHtml(html) {
      return html.replace(/href="\.\/favicon\.svg"/, () => `href="data:image/svg+xml,${encodeURIComponent(svg)}"`);
    },
  };
}

/** The build options that make one chunk with everything inline (shared with the e2e's worker fixture). */
export const OFFLINE_BUILD = {
  // Every asset (fonts, images imported by CSS or code) as a data: URL.
  assetsInlineLimit: () => true,
  cssCodeSplit: false,
  modulePreload: false as const,
  reportCompressedSize: false,
  chunkSizeWarningLimit: 100_000,
  // One chunk: a lazily imported chunk would be a second file.
  rolldownOptions: { output: { codeSplitting: false } },
} satisfies UserConfig['build'];

const offline: UserConfig = {
  plugins: [inlineWorkers(), inlineIcon(), singleFile()],
  // public/ holds only the icon, inlined above: nothing to copy beside the file.
  publicDir: false,
  build: { ...OFFLINE_BUILD, outDir: OFFLINE_DIR, emptyOutDir: true },
};

export default defineConfig(mergeConfig(base, offline));
