/**
 * The patch lens in the app, a full-width view in the tables' place: the
 * scenario run under several rule sets in lockstep (compareRuleSets in the
 * core); links keep it open with its rule sets (`c=` in link format v1). For this step, every shadow page
 * requested, with its role under each rule set: the fields side by side,
 * equal ones plain and differing ones flagged, the quadrant and
 * gpte_is_8_bytes formulas with this step's numbers, and the kvmmmu notation.
 * Below, every difference in the scenario, each jumping to its step.
 */

import { kernelRoleWord, type PageRole, type RequestRow, type RoleJson, roleFieldName, RULE_SET_LABEL, RULE_SET_SHORT, RULE_SETS, type RuleSetName } from '../../core/index.ts';
import { useCompareReport } from '../heavy/compare.ts';
import { storeActions, useStore } from '../store/index.ts';
import { RoleNotation, Term } from '../glossary/Term.tsx';

/** The role fields shown per request, with their kernel names. */
const FIELDS: ReadonlyArray<readonly [key: string, kernel: string]> = [
  ['level', 'level'],
  ['gpteIs8Bytes', 'gpte_is_8_bytes'],
  ['quadrant', 'quadrant'],
  ['direct', 'direct'],
  ['access', 'access'],
  ['invalid', 'invalid'],
  ['word', 'role.word'],
];

/** What Linux 6.1's column shows differently: its own name for bit 4, and so its own role.word. */
const NOTE_61: Readonly<Record<string, { readonly short: string; readonly long: string }>> = {
  gpteIs8Bytes: { short: 'in 6.1: has_4_byte_gpte', long: 'Linux 6.1 names bit 4 has_4_byte_gpte: the same bit, inverted (since 5.17)' },
  word: { short: 'in 6.1: bit 4 inverted', long: "Linux 6.1's role.word: bit 4 is has_4_byte_gpte, the inverse of gpte_is_8_bytes" },
};

/** A role field as the kernel names it (5.15's names: the row labels; 6.1's bit 4 is noted apart). */
const kernelName = (f: string): string => roleFieldName(f as keyof PageRole, 'merged');

const KIND_TEXT = { exit: 'exit count only', guest: 'guest-visible', requests: 'shadow page requests', kernel: 'kernel data corruption' } as const;

function show(v: unknown): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/**
 * A role field's value as the rule set's kernel stores it: from 5.17 bit 4 is
 * has_4_byte_gpte (gpte_is_8_bytes inverted), so Linux 6.1's role.word differs
 * from 5.15's in that bit for the same page.
 */
function kernelValue(role: RoleJson, key: string, r: RuleSetName): string {
  if (key === 'word') return `0x${kernelRoleWord(role, r).toString(16).padStart(8, '0')}`;
  const name = roleFieldName('gpteIs8Bytes', r);
  if (key === 'gpteIs8Bytes' && name !== 'gpte_is_8_bytes') return `${name} = ${show(!role.gpteIs8Bytes)}`;
  return show((role as unknown as Record<string, unknown>)[key]);
}

/** The rule behind one cell, in words, for the fields whose value a rule set chooses. */
function ruleText(row: RequestRow, r: RuleSetName, field: string): string | null {
  const x = row.roles[r];
  if (!x) return null;
  if (field === 'quadrant') return `${x.fn}: ${x.quadrantFormula}`;
  if (field === 'gpteIs8Bytes') return x.gpteRule;
  return null;
}

function RoleTable({ row, rules, active }: { row: RequestRow; rules: readonly RuleSetName[]; active: RuleSetName }) {
  const differing = new Set(row.differing);
  const wordDiffers = rules.some((r) => row.roles[r]?.role.word !== row.roles[rules[0]!]?.role.word);
  return (
    <table className="diff-table role-table" data-testid="compare-role-table">
      <caption className="role-caption">
        {row.step < 0 ? 'initial entry' : `step ${row.step + 1}`}: {row.request.via === 'root' ? 'root' : 'child'} for gfn {row.request.gfn} ({row.request.where})
        {row.differing.length === 0 && !wordDiffers ? <span className="same-badge"> same role under every rule set</span> : <span className="differs-badge"> roles differ: {[...differing].map(kernelName).join(', ')}</span>}
      </caption>
      <thead>
        <tr>
          <th scope="col">field</th>
          {rules.map((r) => (
            <th key={r} scope="col" className={r === active ? 'col-active' : undefined} title={RULE_SET_LABEL[r]}>
              {RULE_SET_SHORT[r]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {FIELDS.map(([key, kernel]) => {
          const differs = key === 'word' ? wordDiffers : differing.has(key);
          return (
            <tr key={key} className={differs ? 'row-differs' : undefined}>
              <th scope="row" className="font-mono">
                {kernel}
                {rules.includes('linux-6.1') && NOTE_61[key] && (
                  <span className="diff-rule role-note" title={NOTE_61[key].long}>
                    {NOTE_61[key].short}
                  </span>
                )}
                {differs && (
                  <span className="diff-flag" aria-label="differs">
                    {' '}≠
                  </span>
                )}
              </th>
              {rules.map((r) => {
                const role = row.roles[r]?.role;
                const why = ruleText(row, r, key);
                return (
                  <td key={r} className={differs ? 'cell-differs' : 'cell-same'}>
                    <span className="font-mono">{role ? kernelValue(role, key, r) : '-'}</span>
                    {why && <span className="diff-rule">{why}</span>}
                  </td>
                );
              })}
            </tr>
          );
        })}
        <tr>
          <th scope="row">
            <Term id="kvmmmu">kvmmmu</Term>
          </th>
          {rules.map((r) => {
            const n = row.roles[r]?.notation;
            return (
              <td key={r} className="font-mono text-xs">
                {n ? <RoleNotation text={n} /> : '-'}
              </td>
            );
          })}
        </tr>
      </tbody>
    </table>
  );
}

/**
 * Differences listed at most (a long scenario can have thousands: 1,923
 * zap-alls have 7,696); the per-step tables above show every one.
 */
const MAX_LISTED = 100;
const fmtSteps = (n: number) => n.toLocaleString('en-US');

export function ComparePanel() {
  const scenario = useStore((s) => s.scenario);
  const step = useStore((s) => s.step);
  const active = useStore((s) => s.rules);
  const rules = useStore((s) => s.compareRules);
  // A heavy scenario is compared in a worker (heavy/compare.ts): null until it is done.
  const { report, stepsDone } = useCompareReport(scenario, rules);
  const selected = useStore((s) => s.selected);
  const a = storeActions();
  if (!report) {
    return (
      <section className="compare-view" aria-label="Compare rule sets" data-testid="compare">
        <div className="compare-head">
          <h2 className="panel-title">Compare rule sets</h2>
          <button type="button" className="btn" onClick={() => a.toggleCompare(false)} data-testid="compare-close">
            Back to the tables (Esc)
          </button>
        </div>
        <p className="text-sm" role="status" data-testid="compare-running">
          Running the {fmtSteps(scenario.steps.length)} steps under {rules.map((r) => RULE_SET_SHORT[r]).join(', ')} to compare them; the differences appear here when that is done. Back to the tables stops it.
        </p>
        <p className="text-sm compare-progress">
          <span data-testid="compare-progress">{fmtSteps(stepsDone)} of {fmtSteps(scenario.steps.length)} steps</span>
          <progress max={Math.max(1, scenario.steps.length)} value={stepsDone} aria-label="Steps compared so far" />
        </p>
      </section>
    );
  }
  const here = report.requests.filter((q) => q.step === step - 1);
  // The shadow page selected in the tables (a page, or one of its sptes): the
  // last request up to this step that resolved to it in the run on screen.
  const selSp = selected?.startsWith('sp:') ? Number(selected.slice(3)) : selected?.startsWith('spte:') ? Number(selected.split(':')[1]) : null;
  const selRow = selSp === null || !rules.includes(active) ? null : (report.requests.filter((q) => q.step < step && q.roles[active]?.sp === selSp).pop() ?? null);
  const hereBehaviour = report.behaviourDifferences.filter((b) => b.step === step - 1);
  const { roleDifferences: nRoles, guestVisible, exitOnly, kernelBugs } = report.summary;
  const names = rules.map((r) => RULE_SET_SHORT[r]).join(', ');
  const nothing = nRoles + report.behaviourDifferences.length === 0;
  return (
    <section className="compare-view" aria-label="Compare rule sets" data-testid="compare">
      <div className="compare-head">
        <h2 className="panel-title">Compare rule sets{step === 0 ? ': the initial entry' : `: step ${step}`}</h2>
        <button type="button" className="btn" onClick={() => a.toggleCompare(false)} data-testid="compare-close">
          Back to the tables (Esc)
        </button>
      </div>
      <div className="compare-body">
        <div className="compare-step">
          <fieldset className="compare-rules">
            <legend className="text-xs">Run side by side (two or more)</legend>
            {RULE_SETS.map((r) => (
              <label key={r} className="text-sm">
                <input type="checkbox" checked={rules.includes(r)} disabled={rules.includes(r) && rules.length <= 2} onChange={() => a.toggleCompareRule(r)} data-testid={`compare-rule-${r}`} /> {RULE_SET_LABEL[r]}
              </label>
            ))}
          </fieldset>
          <p className="text-sm" data-testid="compare-summary">
            {nothing
              ? `${names} compute the same roles here, and the guest sees the same thing: "no functional change" holds for this scenario.`
              : `${nRoles} shadow page request${nRoles === 1 ? '' : 's'} with different roles${nRoles ? ` (${report.summary.fieldsDiffering.map(kernelName).join(', ')})` : ''}; ${guestVisible} difference${guestVisible === 1 ? '' : 's'} the guest can see; ${exitOnly} in exit count only${kernelBugs ? `; kernel data corruption at ${kernelBugs} step${kernelBugs === 1 ? '' : 's'}` : ''}.`}
          </p>

          <h3 className="panel-subtitle">{step === 0 ? 'The initial entry' : `Step ${step}`}: shadow pages requested</h3>
          {here.length === 0 ? (
            <p className="text-sm opacity-80">At this point no shadow page is requested under all the compared rule sets{step === 0 ? '' : '; step on to the next fault'}.</p>
          ) : (
            <div className="role-tables">
              {here.map((row, i) => (
                <RoleTable key={i} row={row} rules={rules} active={active} />
              ))}
            </div>
          )}
          {hereBehaviour.length > 0 && (
            <ul className="diffs" aria-label="Differences at this step">
              {hereBehaviour.map((b, i) => (
                <li key={i} className={`diff-${b.kind}`}>
                  <strong>{KIND_TEXT[b.kind]}</strong> · {b.field}: {rules.map((r) => `${RULE_SET_SHORT[r]} ${String(b.values[r] ?? '-')}`).join(' · ')}
                </li>
              ))}
            </ul>
          )}

          {selSp !== null && (
            <>
              <h3 className="panel-subtitle">Selected: sp {selSp}</h3>
              {selRow ? (
                <RoleTable row={selRow} rules={rules} active={active} />
              ) : (
                <p className="text-sm opacity-80">{rules.includes(active) ? `sp ${selSp} was not requested under every compared rule set up to this step.` : `Add ${RULE_SET_LABEL[active]} (the rule set on screen) to the comparison to see its pages here.`}</p>
              )}
            </>
          )}
        </div>
        <div className="compare-all">
          <h3 className="panel-subtitle">Every difference in the scenario</h3>
          {nothing ? (
            <p className="text-sm opacity-80">None.</p>
          ) : (
            <ol className="diffs">
              {report.roleDifferences.slice(0, MAX_LISTED).map((d, i) => (
                <li key={i} className={d.step + 1 === step ? 'diff-current' : ''}>
                  <button type="button" className="linkish" onClick={() => a.jumpTo(d.step + 1)} data-testid="compare-diff">
                    {d.step < 0 ? 'initial entry' : `step ${d.step + 1}`}: {d.request.direct ? 'direct ' : ''}l{d.request.level} gfn {d.request.gfn} ({d.request.where})
                  </button>{' '}
                  <span className="text-xs">
                    {Object.entries(d.fields)
                      .map(([f, vals]) => `${kernelName(f)}: ${rules.map((r) => `${RULE_SET_SHORT[r]} ${show(vals[r])}`).join(' / ')}`)
                      .join('; ')}
                  </span>
                </li>
              ))}
              {report.behaviourDifferences.slice(0, Math.max(0, MAX_LISTED - report.roleDifferences.length)).map((b, i) => (
                <li key={`b${i}`} className={`${b.step + 1 === step ? 'diff-current ' : ''}diff-${b.kind}`}>
                  <button type="button" className="linkish" onClick={() => a.jumpTo(b.step + 1)} data-testid="compare-diff">
                    step {b.step + 1}: {KIND_TEXT[b.kind]} · {b.field}
                  </button>{' '}
                  <span className="text-xs">{rules.map((r) => `${RULE_SET_SHORT[r]}: ${String(b.values[r] ?? '-')}`).join(' · ')}</span>
                </li>
              ))}
              {report.roleDifferences.length + report.behaviourDifferences.length > MAX_LISTED && (
                <li className="text-sm opacity-80" data-testid="compare-more">
                  … and {fmtSteps(report.roleDifferences.length + report.behaviourDifferences.length - MAX_LISTED)} more; step through the scenario to see each step's above.
                </li>
              )}
            </ol>
          )}
        </div>
      </div>
    </section>
  );
}
