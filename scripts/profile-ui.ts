/**
 * Diagnostics for the UI step-to-paint benchmark (not part of `npm run bench`):
 * builds the app (unless --no-build), serves it, steps the largest built-in
 * scenario as bench/ui.ts does, and prints per-step timings relative to the
 * frame (rAF time), long-animation-frame script/render split, and optionally
 * a Chrome trace summary (--trace) of where the main thread's time goes.
 *   npx tsx scripts/profile-ui.ts [--no-build] [--trace] [--steps N] [--tall] [--css CSS]
 * (--tall: the whole scene drawn, 50% zoom in a 1600x5200 window; --css: inject a style)
 */
import { writeFileSync } from 'node:fs';
import { median as d3median, quantile } from 'd3';
import { resolve } from 'node:path';
import { largestScenario, openScenario, WHOLE_SCENE } from '../bench/ui.ts';
import { buildApp, ensureChromium, launchChromium, ROOT, serveBuild, settle } from '../tests/e2e/serve.ts';

const args = process.argv.slice(2);
const STEPS = Number(args[args.indexOf('--steps') + 1]) || 120;
const median = (a: number[]) => d3median(a) ?? NaN;
const pct = (a: number[], p: number) => quantile(a, p) ?? NaN;

const best = largestScenario();

const outDir = args.includes('--dist') ? resolve(args[args.indexOf('--dist') + 1]!) : resolve(ROOT, 'dist');
if (args.includes('--unminified')) {
  const { build } = await import('vite');
  process.env.NODE_ENV = 'production';
  await build({ root: ROOT, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: false } });
} else if (!args.includes('--no-build')) await buildApp(outDir);
const served = await serveBuild(outDir);
const browser = await launchChromium(ensureChromium());
try {
  const tall = args.includes('--tall');
  const { context, page } = await openScenario(browser, served.url, best.id, tall ? WHOLE_SCENE.viewport : undefined);
  if (tall) await WHOLE_SCENE.setup(page);
  if (args.includes('--css')) await page.addStyleTag({ content: args[args.indexOf('--css') + 1]! });
  const cdp = await context.newCDPSession(page);
  const trace = args.includes('--trace');
  const events: Array<Record<string, unknown>> = [];
  if (trace) {
    cdp.on('Tracing.dataCollected', (d: { value: Array<Record<string, unknown>> }) => events.push(...d.value));
    await cdp.send('Tracing.start', {
      categories: (args.includes('--light') ? 'devtools.timeline,disabled-by-default-devtools.timeline' : 'devtools.timeline,blink,cc,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing') + (args.includes('--inval') ? ',disabled-by-default-devtools.timeline.invalidationTracking' : ''),
      transferMode: 'ReportEvents',
    } as never);
  }
  const cpu = args.includes('--cpu');
  if (cpu) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  const r = await page.evaluate(
    async ({ steps, loafOn }) => {
      const loaf: Array<{ start: number; dur: number; render: number; style: number; blocking: number; scripts: number }> = [];
      if (loafOn) try {
        new PerformanceObserver((l) => {
          for (const e of l.getEntries() as Array<PerformanceEntry & { renderStart: number; styleAndLayoutStart: number; blockingDuration: number; scripts: Array<{ duration: number }> }>) {
            loaf.push({ start: e.startTime, dur: e.duration, render: e.startTime + e.duration - e.renderStart, style: e.startTime + e.duration - e.styleAndLayoutStart, blocking: e.blockingDuration, scripts: e.scripts.reduce((a, s) => a + s.duration, 0) });
          }
        }).observe({ type: 'long-animation-frame', buffered: false });
      } catch {
        /* no LoAF */
      }
      const counter = document.querySelector('[data-testid=step-counter]')!;
      const root = document.getElementById('root')!;
      const read = () => {
        const m = /step (\d+) \/ (\d+)/.exec(counter.textContent ?? '')!;
        return { step: Number(m[1]), total: Number(m[2]) };
      };
      const frame = () => new Promise<number>((res) => requestAnimationFrame(res));
      const afterFrame = () =>
        new Promise<number>((res) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => res(performance.now());
          ch.port2.postMessage(0);
        });
      const { total } = read();
      const out: Array<{ t0: number; dom: number; sync: number; raf: number; rafNow: number; t1: number; prevRaf: number }> = [];
      let dir = 1;
      let prevRaf = 0;
      for (let i = 0; i < steps + 20; i++) {
        const { step } = read();
        if (step >= total) dir = -1;
        else if (step <= 0) dir = 1;
        const before = counter.textContent;
        let domAt = -1;
        const mo = new MutationObserver(() => {
          if (domAt < 0) domAt = performance.now();
        });
        mo.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
        const t0 = performance.now();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: dir > 0 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }));
        const sync = performance.now();
        let raf: number;
        let rafNow: number;
        do {
          raf = await frame();
          rafNow = performance.now();
        } while (counter.textContent === before);
        const t1 = await afterFrame();
        mo.disconnect();
        if (i >= 20) out.push({ t0, dom: domAt - t0, sync: sync - t0, raf: raf - t0, rafNow: rafNow - t0, t1: t1 - t0, prevRaf: t0 - prevRaf });
        prevRaf = raf;
      }
      await new Promise((res) => setTimeout(res, 100));
      return { out, loaf };
    },
    { steps: STEPS, loafOn: args.includes('--loaf') },
  );
  if (cpu) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>; samples: number[]; timeDeltas: number[] } };
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    const byFn = new Map<string, number>();
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
    const total = new Map<string, number>();
    for (const n of profile.nodes) {
      const name = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      byFn.set(name, (byFn.get(name) ?? 0) + (self.get(n.id) ?? 0));
      // inclusive: add self time to every distinct ancestor function
      const seen = new Set<string>();
      let cur: number | undefined = n.id;
      while (cur !== undefined) {
        const cn = nodeById.get(cur)!;
        const nm = `${cn.callFrame.functionName || '(anon)'} ${cn.callFrame.url.split('/').pop()}:${cn.callFrame.lineNumber}`;
        if (!seen.has(nm)) {
          seen.add(nm);
          total.set(nm, (total.get(nm) ?? 0) + (self.get(n.id) ?? 0));
        }
        cur = parent.get(cur);
      }
    }
    const steps = STEPS + 20;
    console.log('--- self time per step (ms)');
    for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 35)) console.log(`${(v / steps).toFixed(2).padStart(6)}  ${k}`);
    console.log('--- inclusive time per step (ms)');
    for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${(v / steps).toFixed(2).padStart(6)}  ${k}`);
  }
  const shotAt = args.indexOf('--shot');
  if (shotAt >= 0) {
    await page.evaluate(async (n) => {
      for (let i = 0; i < 200; i++) document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
      for (let i = 0; i < n; i++) document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    }, Number(args[shotAt + 1]) || 40);
    await settle(page);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: args[shotAt + 2] ?? '/tmp/sp/shot.png' });
  }
  const o = r.out;
  const f = (x: number) => x.toFixed(1);
  console.log(`scenario ${best.id}, ${o.length} steps`);
  for (const k of ['sync', 'dom', 'raf', 'rafNow', 't1', 'prevRaf'] as const) {
    const xs = o.map((x) => x[k]);
    console.log(`${k.padEnd(8)} median ${f(median(xs))}  p90 ${f(pct(xs, 0.9))}  p95 ${f(pct(xs, 0.95))}  max ${f(Math.max(...xs))}`);
  }
  const render = o.map((x) => x.t1 - x.rafNow);
  console.log(`render (t1 - rAF cb)  median ${f(median(render))}  p95 ${f(pct(render, 0.95))}`);
  console.log(`LoAF entries: ${r.loaf.length}; dur median ${f(median(r.loaf.map((x) => x.dur)))}; render part median ${f(median(r.loaf.map((x) => x.render)))}; style+layout part ${f(median(r.loaf.map((x) => x.style)))}; scripts ${f(median(r.loaf.map((x) => x.scripts)))}`);
  if (args.includes('--dump')) for (const x of o) console.log(Object.values(x).map((v) => f(v)).join('\t'));
  if (trace) {
    const done = new Promise<void>((res) => cdp.once('Tracing.tracingComplete', () => res()));
    await cdp.send('Tracing.end');
    await done;
    writeFileSync('/tmp/sp/trace.json', JSON.stringify({ traceEvents: events }));
    // Summarise main-thread (renderer) top-level durations by name.
    const main = events.find((e) => e.name === 'thread_name' && (e.args as { name: string }).name === 'CrRendererMain');
    const tid = main?.tid;
    const pid = main?.pid;
    const sums = new Map<string, { n: number; dur: number }>();
    for (const e of events) {
      if (e.tid !== tid || e.pid !== pid || e.ph !== 'X' || typeof e.dur !== 'number') continue;
      const s = sums.get(e.name as string) ?? { n: 0, dur: 0 };
      s.n++;
      s.dur += (e.dur as number) / 1000;
      sums.set(e.name as string, s);
    }
    const top = [...sums.entries()].sort((a, b) => b[1].dur - a[1].dur).slice(0, 30);
    for (const [name, s] of top) console.log(`${name.padEnd(40)} n=${String(s.n).padStart(5)} total ${s.dur.toFixed(0)} ms  per step ${(s.dur / (STEPS + 20)).toFixed(2)} ms`);
  }
  await context.close();
} finally {
  await browser.close();
  await served.close();
}
