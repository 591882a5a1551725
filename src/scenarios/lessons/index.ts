/**
 * The built-in lessons (issue 18, item 3): data only, like the scenario
 * library. Each has a stable id and version, so a link can name it
 * ("sp1/l/four-roots/1/1") and still open the same lesson later.
 */
import fourRoots from './four-roots.json';
import patchAndBug from './patch-and-bug.json';
import unsyncInvlpg from './unsync-invlpg.json';

export interface LessonLibraryEntry {
  readonly id: string;
  readonly version: number;
  readonly json: unknown;
}

export const LESSONS: readonly LessonLibraryEntry[] = [
  { id: 'four-roots', version: 1, json: fourRoots },
  { id: 'unsync-invlpg', version: 1, json: unsyncInvlpg },
  { id: 'patch-and-bug', version: 1, json: patchAndBug },
];
