/**
 * Just enough WebDriver BiDi to drive Debian's Firefox ESR (which
 * playwright-core cannot: it drives only its own Firefox builds) for the
 * offline file's check in Firefox: open a page, run script in it, and collect
 * its console errors and uncaught exceptions.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { ROOT } from './serve.ts';

/**
 * The path of Firefox: scripts/ensure-firefox.sh finds firefox-esr or
 * firefox, or installs Debian's firefox-esr (as root, or with sudo without a
 * password); null when it is missing and cannot be installed.
 */
export function ensureFirefox(): string | null {
  const out = execFileSync('bash', [resolve(ROOT, 'scripts/ensure-firefox.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop() || null;
}

export interface FirefoxPage {
  /** The browser's user agent (names the version). */
  userAgent: string;
  /** Console errors and uncaught exceptions of the page, as "level type: text". */
  errors: string[];
  goto: (url: string) => Promise<void>;
  /** The value of a JS expression in the page (promises awaited; JSON-like values only). */
  evaluate: <T>(expression: string) => Promise<T>;
  /** Polls `expression` every 100 ms until it is truthy; throws with `what` after `ms`. */
  waitFor: (expression: string, what: string, ms?: number) => Promise<void>;
  close: () => Promise<void>;
}

interface BidiValue {
  type: string;
  value?: unknown;
}

/** Turns a BiDi remote value into a plain one (what evaluate() tests need: primitives, arrays, objects of them). */
function plain(v: BidiValue): unknown {
  if (v.type === 'array') return (v.value as BidiValue[]).map(plain);
  if (v.type === 'object') return Object.fromEntries((v.value as Array<[string, BidiValue]>).map(([k, x]) => [k, plain(x)]));
  return v.value;
}

/**
 * Starts headless Firefox with a fresh profile and a BiDi session on its one
 * tab. `preload` is a function declaration run in every page before its own
 * scripts (script.addPreloadScript).
 */
export async function launchFirefox(path: string, preload?: string): Promise<FirefoxPage> {
  const profile = mkdtempSync(join(tmpdir(), 'shadowpaging-firefox-'));
  // Its own process group, so close() ends Firefox's content processes with it.
  const ff: ChildProcess = spawn(path, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const kill = () => {
    try {
      if (ff.pid) process.kill(-ff.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Firefox did not open its WebDriver BiDi port in 60 s; it printed: ${text.slice(-2000)}`)), 60_000);
      ff.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      ff.on('exit', (code) => reject(new Error(`Firefox exited (${code}) before opening its WebDriver BiDi port: ${text.slice(-2000)}`)));
    });
    const ws = new WebSocket(`${url}/session`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let nextId = 0;
    const pending = new Map<number, (d: { type: string; result?: unknown; error?: string; message?: string }) => void>();
    const errors: string[] = [];
    ws.on('message', (data) => {
      const d = JSON.parse(String(data)) as { id?: number; type: string; method?: string; params?: { level: string; type: string; text: string } };
      if (d.id !== undefined && pending.has(d.id)) {
        pending.get(d.id)!(d);
        pending.delete(d.id);
      } else if (d.method === 'log.entryAdded' && d.params && d.params.level === 'error') {
        errors.push(`${d.params.level} ${d.params.type}: ${d.params.text}`);
      }
    });
    const send = <T>(method: string, params: object): Promise<T> =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, (d) => (d.type === 'error' ? reject(new Error(`${method}: ${d.error} ${d.message}`)) : resolve(d.result as T)));
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send('session.new', { capabilities: {} });
    await send('session.subscribe', { events: ['log.entryAdded'] });
    if (preload) await send('script.addPreloadScript', { functionDeclaration: preload });
    const tree = await send<{ contexts: Array<{ context: string }> }>('browsingContext.getTree', {});
    const context = tree.contexts[0]!.context;
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await send<{ type: string; result?: BidiValue; exceptionDetails?: { text: string } }>('script.evaluate', { expression, target: { context }, awaitPromise: true });
      if (r.type === 'exception') throw new Error(`in Firefox: ${expression.slice(0, 200)}: ${r.exceptionDetails?.text}`);
      return plain(r.result!) as T;
    };
    return {
      userAgent: await evaluate<string>('navigator.userAgent'),
      errors,
      goto: async (to) => {
        await send('browsingContext.navigate', { context, url: to, wait: 'complete' });
      },
      evaluate,
      waitFor: async (expression, what, ms = 30_000) => {
        const end = Date.now() + ms;
        while (!(await evaluate<boolean>(`!!(${expression})`))) {
          if (Date.now() > end) throw new Error(`in Firefox, waited ${ms} ms for ${what}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      close: async () => {
        ws.close();
        kill();
        rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (e) {
    kill();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    throw e;
  }
}
