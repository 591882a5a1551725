/**
 * The built-in lessons (issue 18, item 3): data only, like the scenario
 * library. Each has a stable id and version, so a link can name it
 * ("sp1/l/four-roots/1/1") and still open the same lesson later.
 */
import type { LibraryEntry } from '../library/index.ts';
import fourRoots from './four-roots.json';
import patchAndBug from './patch-and-bug.json';
import unsyncInvlpg from './unsync-invlpg.json';

/** A built-in lesson: its name, version (for links) and document, as a built-in scenario's entry. */
export type LessonLibraryEntry = LibraryEntry;

export const LESSONS: readonly LessonLibraryEntry[] = [
  { id: 'four-roots', version: 1, json: fourRoots },
  { id: 'unsync-invlpg', version: 1, json: unsyncInvlpg },
  { id: 'patch-and-bug', version: 1, json: patchAndBug },
];
