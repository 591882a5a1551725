/**
 * The patch lens in the app: the scenario run under before / seed / merged in
 * lockstep; every shadow page whose role differs, with each rule set's value
 * and the rule behind it, and what (if anything) the guest could see. Each
 * difference jumps to the step where it arose.
 */
import { useMemo } from 'react';
import { compareRuleSets, RULE_SETS } from '../../core/index.ts';
import { useStore } from '../store/index.ts';

const LABEL = { before: 'Before', seed: 'Seed', merged: 'Merged' } as const;

export function ComparePanel() {
  const scenario = useStore((s) => s.scenario);
  const step = useStore((s) => s.step);
  const report = useMemo(() => compareRuleSets(scenario, RULE_SETS), [scenario]);
  const a = useStore.getState();
  const total = report.roleDifferences.length + report.behaviourDifferences.length;
  return (
    <section className="panel" aria-label="Compare rule sets" data-testid="compare">
      <h2 className="panel-title">Compare rule sets</h2>
      <p className="text-sm">
        {total === 0
          ? 'Before, Seed and Merged compute the same roles here, and the guest sees the same thing: "no functional change" holds for this scenario.'
          : `${report.roleDifferences.length} shadow page request${report.roleDifferences.length === 1 ? '' : 's'} with different roles (${report.summary.fieldsDiffering.join(', ')}); ${report.summary.guestVisible} difference(s) the guest can see; ${report.summary.exitOnly} in exit count only.`}
      </p>
      <ol className="diffs">
        {report.roleDifferences.map((d, i) => (
          <li key={i} className={d.step + 1 === step ? 'diff-current' : ''}>
            <button type="button" className="linkish" onClick={() => a.jumpTo(d.step + 1)} data-testid="compare-diff">
              {d.step < 0 ? 'initial entry' : `step ${d.step + 1}`}: {d.request.direct ? 'direct ' : ''}l{d.request.level} gfn {d.request.gfn} ({d.request.where})
            </button>
            <table className="diff-table">
              <thead>
                <tr>
                  <th scope="col">field</th>
                  {RULE_SETS.map((r) => (
                    <th key={r} scope="col">
                      {LABEL[r]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {Object.entries(d.fields).map(([f, vals]) => (
                  <tr key={f}>
                    <th scope="row" className="font-mono">
                      {f === 'gpteIs8Bytes' ? 'gpte_is_8_bytes' : f}
                    </th>
                    {RULE_SETS.map((r) => (
                      <td key={r} title={d.rules[f]?.[r]}>
                        <span className="font-mono">{String(vals[r])}</span>
                        <span className="diff-rule">{d.rules[f]?.[r]}</span>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </li>
        ))}
        {report.behaviourDifferences.map((b, i) => (
          <li key={`b${i}`}>
            <button type="button" className="linkish" onClick={() => a.jumpTo(b.step + 1)}>
              step {b.step + 1}: {b.kind === 'exit' ? 'exit count only' : b.kind === 'guest' ? 'guest-visible' : 'requests'} · {b.field}
            </button>{' '}
            <span className="text-xs">
              {RULE_SETS.map((r) => `${LABEL[r]}: ${String(b.values[r] ?? '-')}`).join(' · ')}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
