/**
 * Placeholder page until the visualizer lands: it says what is coming and
 * proves the core runs in the browser by replaying the default scenario.
 */
import { useMemo } from 'react';
import { machineJson, Timeline } from '../core/index.ts';
import { parseScenario } from '../scenarios/schema.ts';
import defaultScenario from '../../tests/fixtures/two-quadrants.json';

export function App() {
  const summary = useMemo(() => {
    const parsed = parseScenario(defaultScenario);
    if (!parsed.ok) return null;
    const tl = new Timeline(parsed.scenario, 'seed');
    return machineJson(tl.stateAt(tl.length)).shadowPages.map((sp) => ({ id: sp.id, notation: sp.notation }));
  }, []);
  return (
    <main className="mx-auto max-w-3xl p-8 font-sans text-slate-900">
      <h1 className="text-3xl font-semibold">shadowpaging</h1>
      <p className="mt-3 text-lg">
        An interactive visualizer of KVM&apos;s x86 shadow MMU (Linux 5.15 with &ldquo;KVM: x86/mmu: Derive shadow MMU page
        role from parent&rdquo;). The visualizer is coming: guest page tables, the four PAE roots and the quadrant-split
        shadow page tables side by side, stepped fault by fault.
      </p>
      <p className="mt-3">
        The MMU core already runs here and in the trace CLI (<code>npm run trace -- FILE</code>). The default scenario
        builds these shadow pages:
      </p>
      <ul className="mt-3 list-disc pl-6 font-mono text-sm" data-testid="shadow-pages">
        {summary?.map((sp) => (
          <li key={sp.id}>
            sp {sp.id}: {sp.notation}
          </li>
        ))}
      </ul>
    </main>
  );
}
