export { NoteText } from './NoteText.tsx';
export { parseInline, parseNote, safeHref, stepNote, type NoteBlock, type NoteInline } from './markup.ts';
