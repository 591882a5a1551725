/**
 * The grader CLI (issue 18, item 4):
 * `npm run --silent grade -- SCENARIO.json ANSWERS.json`
 * grades a student's answers file (exported by the app) against the answer
 * key the core computes for the scenario (src/core/questions.ts), under the
 * rule set the file names. Prints a JSON report (per answer: expected,
 * given, correct) and exits 0 when every answer is right, 1 when one is
 * wrong (or the file holds no answer), 2 on bad input: an unreadable or
 * invalid scenario, or a malformed answers file, with a one-line message
 * naming the field. docs/questions.md documents the formats.
 */
import { createReadStream } from 'node:fs';
import { answerKey } from '../core/index.ts';
import { gradeAnswers, parseAnswersFile } from '../scenarios/answers.ts';
import { stepQuestionSpecs } from '../scenarios/questions.ts';
import { formatScenarioError, parseScenarioText } from '../scenarios/schema.ts';
import { readBounded } from './read-input.ts';

const USAGE = 'usage: npm run --silent grade -- SCENARIO.json ANSWERS.json';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function readText(path: string): Promise<string> {
  try {
    const r = await readBounded(path === '-' ? process.stdin : createReadStream(path), path === '-' ? 'stdin' : path);
    if (!r.ok) fail(r.message);
    return r.text;
  } catch (e) {
    fail(`cannot read ${path}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const unknown = args.find((a) => a.startsWith('--'));
  if (unknown) fail(`unknown option ${unknown}\n${USAGE}`);
  if (args.length !== 2) fail(`expected a scenario file and an answers file\n${USAGE}`);
  const [scenarioPath, answersPath] = args as [string, string];
  const scenarioText = await readText(scenarioPath);
  const parsed = parseScenarioText(scenarioText);
  if (!parsed.ok) fail(`invalid scenario ${scenarioPath}: ${formatScenarioError(parsed.error)}`);
  const answersText = await readText(answersPath);
  let json: unknown;
  try {
    json = JSON.parse(answersText);
  } catch (e) {
    fail(`invalid answers file ${answersPath}: not valid JSON: ${(e as Error).message}`);
  }
  const file = parseAnswersFile(json);
  if (!file.ok) fail(`invalid answers file ${answersPath}: ${file.path || 'the file'}: ${file.message}`);
  // The teacher's picks live in the document (the core's Scenario has none); it parsed above, so it is JSON.
  const scenarioJson: unknown = JSON.parse(scenarioText);
  const key = answerKey(parsed.scenario, file.file.rules, (i) => stepQuestionSpecs(scenarioJson, i));
  const graded = gradeAnswers(parsed.scenario.title, parsed.scenario.steps.length, key, file.file);
  if (!graded.ok) fail(`invalid answers file ${answersPath}: ${graded.path}: ${graded.message}`);
  process.stdout.write(`${JSON.stringify(graded.report, null, 2)}\n`);
  const r = graded.report;
  process.exit(r.total > 0 && r.right === r.total ? 0 : 1);
}

await main();
