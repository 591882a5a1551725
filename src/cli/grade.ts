/**
 * The grader CLI (issue 18, item 4):
 * `npm run --silent grade -- SCENARIO.json ANSWERS.json`
 * (or a lesson file in place of the scenario, issue 18 item 3) grades a student's answers file (exported by the app) against the answer
 * key the core computes for the scenario (src/core/questions.ts), under the
 * rule set the file names. Prints a JSON report (per answer: expected,
 * given, correct) and exits 0 when every answer is right, 1 when one is
 * wrong (or the file holds no answer), 2 on bad input: an unreadable or
 * invalid scenario, or a malformed answers file, with a one-line message
 * naming the field. docs/questions.md documents the formats.
 */
import { createReadStream } from 'node:fs';
import { answerKey } from '../core/index.ts';
import { answeredSteps, gradeAnswers, parseAnswersFile, type GradeReport } from '../scenarios/answers.ts';
import { formatLessonError, isLessonDocument, parseLesson } from '../scenarios/lesson.ts';
import { gradeLessonAnswers } from '../scenarios/lesson-grade.ts';
import { LESSONS } from '../scenarios/lessons/index.ts';
import { canonicalJson } from '../scenarios/permalink.ts';
import { stepQuestionSpecs } from '../scenarios/questions.ts';
import { formatScenarioError, parseScenarioText } from '../scenarios/schema.ts';
import { handleStdoutErrors, writeAll } from './output.ts';
import { readBounded } from './read-input.ts';

const USAGE = 'usage: npm run --silent grade -- SCENARIO_OR_LESSON.json ANSWERS.json';

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
  if (args.length !== 2) fail(`expected a scenario file and an answers file (a lesson file may take the scenario's place)\n${USAGE}`);
  const [scenarioPath, answersPath] = args as [string, string];
  const scenarioText = await readText(scenarioPath);
  let first: unknown;
  try {
    first = JSON.parse(scenarioText.charCodeAt(0) === 0xfeff ? scenarioText.slice(1) : scenarioText);
  } catch {
    first = undefined; // the scenario parser below says why
  }
  const isLesson = isLessonDocument(first);
  // A scenario is checked before the answers are read, as it always was.
  const parsed = isLesson ? null : parseScenarioText(scenarioText);
  if (parsed && !parsed.ok) fail(`invalid scenario ${scenarioPath}: ${formatScenarioError(parsed.error)}`);
  const answersText = await readText(answersPath);
  let json: unknown;
  try {
    json = JSON.parse(answersText);
  } catch (e) {
    fail(`invalid answers file ${answersPath}: not valid JSON: ${(e as Error).message}`);
  }
  const file = parseAnswersFile(json);
  if (!file.ok) fail(`invalid answers file ${answersPath}: ${file.path || 'the file'}: ${file.message}`);
  if (isLesson || !parsed) {
    // A lesson (issue 18, item 3): the answers name the entry they are for.
    const lesson = parseLesson(first);
    if (!lesson.ok) fail(`invalid lesson ${scenarioPath}: ${formatLessonError(lesson.error)}`);
    const text = canonicalJson(first);
    const id = LESSONS.find((l) => canonicalJson(l.json) === text)?.id ?? null;
    const graded = gradeLessonAnswers(lesson.lesson, id, file.file);
    if (!graded.ok) fail(`invalid answers file ${answersPath}: ${graded.path}: ${graded.message}`);
    return report(graded.report);
  }
  // The teacher's picks live in the document (the core's Scenario has none); it parsed above, so it is JSON.
  const scenarioJson: unknown = JSON.parse(scenarioText);
  const key = answerKey(parsed.scenario, file.file.rules, (i) => stepQuestionSpecs(scenarioJson, i), answeredSteps(file.file));
  const graded = gradeAnswers(parsed.scenario.title, parsed.scenario.steps.length, key, file.file);
  if (!graded.ok) fail(`invalid answers file ${answersPath}: ${graded.path}: ${graded.message}`);
  return report(graded.report);
}

/**
 * Prints the report and exits with its status once the reader has taken it
 * all: exiting right after the write cut a report piped to a reader not yet
 * reading at 64 KiB, what the pipe holds (output.ts).
 */
async function report(r: GradeReport): Promise<never> {
  status = r.total > 0 && r.right === r.total ? 0 : 1;
  await writeAll([`${JSON.stringify(r, null, 2)}\n`]);
  process.exit(status);
}

/** The grade's exit status once known (0 before: a closed pipe then is only the reader stopping). */
let status = 0;

handleStdoutErrors(() => status);
// Not a top-level await: scripts/cli.mjs runs the CLI from a CommonJS bundle. A failure still
// ends the process with status 1 and the error (an unhandled rejection).
void main();
