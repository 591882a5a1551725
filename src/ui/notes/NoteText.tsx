/**
 * A teacher's note as React elements (markup.ts parses it): text nodes and a
 * few fixed elements, never innerHTML, so a note that holds HTML shows that
 * HTML as text. Links open in a new tab without giving it this page
 * (rel="noopener noreferrer").
 */
import { useMemo } from 'react';
import { type NoteInline, parseNote } from './markup.ts';

function Inline({ part }: { part: NoteInline }) {
  switch (part.kind) {
    case 'text':
      return <>{part.text}</>;
    case 'em':
      return <em>{part.text}</em>;
    case 'strong':
      return <strong>{part.text}</strong>;
    case 'code':
      return <code>{part.text}</code>;
    case 'link':
      return (
        <a href={part.href} target="_blank" rel="noopener noreferrer">
          {part.text}
        </a>
      );
  }
}

export function NoteText({ note, className, testId, id }: { note: string; className?: string; testId?: string; id?: string }) {
  const blocks = useMemo(() => parseNote(note), [note]);
  return (
    <div className={className} data-testid={testId} id={id}>
      {blocks.map((b, i) => (
        <p key={i}>
          {b.map((part, j) => (
            <Inline key={j} part={part} />
          ))}
        </p>
      ))}
    </div>
  );
}
