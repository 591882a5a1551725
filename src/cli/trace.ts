/**
 * The trace CLI: `npm run --silent trace -- FILE [--rules before|seed|merged|merged-no-7|linux-6.1] [--at N]`
 * (FILE may be `-` or absent for stdin). Prints the run as JSON: the events of
 * the initial VM entry, every step's outcome and events, and the final state
 * (or the state after N steps with --at). With --no-events the run has tracing
 * off and keeps no timeline (core/trace-doc.ts): memory stays the size of one
 * machine plus the step outcomes, so a 100,000-step file fits in Node's
 * default heap. An invalid scenario prints a one-line error naming the field
 * and exits 2. With --questions it prints the answer key instead: every
 * step's questions (src/core/questions.ts) with their answers, as JSON
 * (docs/questions.md).
 */
import { createReadStream } from 'node:fs';
import { compareRuleSets, RULE_SETS, sim_answerKeySteps, sim_objectJsonText, sim_traceJsonText, type TraceOptions } from '../core/index.ts';
import { questionsJsonText } from '../scenarios/answers.ts';
import { stepQuestionSpecs } from '../scenarios/questions.ts';
import { formatScenarioError, parseScenarioText } from '../scenarios/schema.ts';
import type { RuleSetName } from '../core/index.ts';
import { handleStdoutErrors, writeAll } from './output.ts';
import { readBounded } from './read-input.ts';

const USAGE = 'usage: npm run --silent trace -- [FILE|-] [--rules before|seed|merged|merged-no-7|linux-6.1] [--at N] [--no-events] [--compare before,seed,merged] [--questions]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const isRuleSet = (v: string | undefined): v is RuleSetName => RULE_SETS.includes(v as RuleSetName);

function parseArgs(argv: string[]): { file: string | null; compare: RuleSetName[] | null; questions: boolean } & TraceOptions {
  let file: string | null = null;
  let rules: RuleSetName = 'seed';
  let at: number | null = null;
  let events = true;
  let compare: RuleSetName[] | null = null;
  let questions = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rules') {
      const v = argv[++i];
      if (!isRuleSet(v)) fail(`--rules: expected one of ${RULE_SETS.join(', ')}, got ${JSON.stringify(v ?? '')}`);
      rules = v;
    } else if (a === '--at') {
      const v = argv[++i] ?? '';
      if (!/^\d+$/.test(v)) fail(`--at: expected a step count (0, 1, 2, ...), got ${JSON.stringify(v)}`);
      at = Number(v);
    } else if (a === '--compare') {
      const v = (argv[++i] ?? '').split(',').filter(Boolean);
      if (v.length < 2 || !v.every(isRuleSet) || new Set(v).size !== v.length) {
        fail(`--compare: expected two or more distinct rule sets separated by commas (of ${RULE_SETS.join(', ')}), got ${JSON.stringify(argv[i] ?? '')}`);
      }
      compare = v as RuleSetName[];
    } else if (a === '--no-events') events = false;
    else if (a === '--questions') questions = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('--')) fail(`unknown option ${a}\n${USAGE}`);
    else if (file === null) file = a;
    else fail(`one scenario file at a time\n${USAGE}`);
  }
  if (questions && (compare || at !== null)) fail(`--questions lists every step's questions under one rule set: it does not go with --compare or --at\n${USAGE}`);
  return { file, rules, at, events, compare, questions };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stdin = args.file === null || args.file === '-';
  const name = stdin ? 'stdin' : args.file!;
  let text: string;
  try {
    // Streamed with the length limit checked per chunk (read-input.ts): an
    // input that never ends (/dev/zero, a FIFO) is refused once over the limit.
    const r = await readBounded(stdin ? process.stdin : createReadStream(args.file!), name);
    if (!r.ok) fail(r.message);
    text = r.text;
  } catch (e) {
    fail(`cannot read ${args.file ?? 'stdin'}: ${(e as Error).message}`);
  }
  const parsed = parseScenarioText(text);
  if (!parsed.ok) fail(`invalid scenario: ${formatScenarioError(parsed.error)}`);
  if (args.at !== null && args.at > parsed.scenario.steps.length) {
    fail(`--at: the scenario has ${parsed.scenario.steps.length} steps, so N must be 0..${parsed.scenario.steps.length}`);
  }
  for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
  if (args.questions) {
    // The answer key: the questions the core generates for every step and the teacher's picks, with their answers.
    const json: unknown = JSON.parse(text);
    // Written a step at a time as the machine runs (answers.ts questionsJsonText); each question
    // without its `spec`, the core's form of the id (gfn a number): the id says the same.
    await writeAll(questionsJsonText(parsed.scenario.title, args.rules, sim_answerKeySteps(parsed.scenario, args.rules, (i) => stepQuestionSpecs(json, i))));
    return;
  }
  if (args.compare) {
    // Its lists item by item (sim_objectJsonText): five rule sets over 1,000,000 steps passed the longest string there is.
    await writeAll(sim_objectJsonText(compareRuleSets(parsed.scenario, args.compare)));
    return;
  }
  // buildTrace's document, written piece by piece as the steps run, each
  // piece made once the reader took the last (output.ts), so nothing piles up.
  await writeAll(sim_traceJsonText(parsed.scenario, args));
}

handleStdoutErrors();
// Not a top-level await: scripts/cli.mjs runs the CLI from a CommonJS bundle. A failure still
// ends the process with status 1 and the error (an unhandled rejection).
void main();
