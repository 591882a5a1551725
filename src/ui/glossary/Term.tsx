/**
 * Glossary terms in the UI: `<Term>` marks one term (focusable; its
 * definition shows on hover, on keyboard focus and on tap, in a popover
 * beside it, never over it; Esc closes it), `<Glossed>` marks every
 * glossary term in a text, `<RoleNotation>` decodes a kvmmmu notation
 * field by field.
 *
 * The popover is portalled to <body>: the side panel is `contain: strict`,
 * which would clip it and make `position: fixed` relative to the panel.
 */
import { type ReactNode, useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { segmentsOf } from './match.ts';
import { decodeNotation } from './role-notation.ts';
import { TERM_BY_ID } from './terms.ts';

/** Room between the term and its popover, and from the window's edges (CSS px). */
const GAP = 6;
const EDGE = 8;
/** How long the popover stays after the pointer leaves the term (time to reach its link). */
const LEAVE_MS = 150;

/**
 * Where the popover goes: below the term's line, or above it where there is
 * no room below; never over the term itself. Left-aligned with the term,
 * moved left as far as needed to stay in the window.
 */
export function placePopover(term: { left: number; top: number; bottom: number }, pop: { width: number; height: number }, win: { width: number; height: number }): { left: number; top: number } {
  const below = term.bottom + GAP;
  const above = term.top - GAP - pop.height;
  const top = below + pop.height <= win.height - EDGE || above < EDGE ? below : above;
  const left = Math.max(EDGE, Math.min(term.left, win.width - EDGE - pop.width));
  return { left, top };
}

/**
 * One glossary term. `meaning`: what this occurrence means here (a role
 * field's value), shown above the general definition.
 */
export function Term({ id, children, meaning }: { id: string; children: ReactNode; meaning?: string }) {
  const term = TERM_BY_ID.get(id);
  const [hover, setHover] = useState(false);
  const [focus, setFocus] = useState(false);
  const [pinned, setPinned] = useState(false);
  // Esc hides the popover until the term is left (blur / pointer out), even while it keeps the focus.
  const [dismissed, setDismissed] = useState(false);
  const open = (hover || focus || pinned) && !dismissed;
  const tipId = useId();
  const ref = useRef<HTMLSpanElement>(null);
  const popRef = useRef<HTMLDivElement>(null);
  const leaveTimer = useRef<number | null>(null);
  const cancelLeave = () => {
    if (leaveTimer.current !== null) window.clearTimeout(leaveTimer.current);
    leaveTimer.current = null;
  };
  const leaveSoon = () => {
    cancelLeave();
    leaveTimer.current = window.setTimeout(() => {
      setHover(false);
      setDismissed(false);
    }, LEAVE_MS);
  };
  useEffect(() => cancelLeave, []);
  const close = useCallback(() => {
    setPinned(false);
    setDismissed(true);
  }, []);
  // Placed before the paint, from the sizes of both (the popover is drawn hidden first).
  useLayoutEffect(() => {
    const el = ref.current;
    const pop = popRef.current;
    if (!open || !el || !pop) return;
    const r = el.getBoundingClientRect();
    const { left, top } = placePopover(r, { width: pop.offsetWidth, height: pop.offsetHeight }, { width: window.innerWidth, height: window.innerHeight });
    pop.style.left = `${left}px`;
    pop.style.top = `${top}px`;
    pop.style.visibility = 'visible';
  }, [open]);
  // While open: Esc closes it (and nothing else), wherever the focus is; a tap elsewhere unpins it.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      e.preventDefault();
      close();
    };
    const onDown = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!ref.current?.contains(t) && !popRef.current?.contains(t)) {
        setPinned(false);
        setHover(false);
      }
    };
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onDown, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      document.removeEventListener('pointerdown', onDown, true);
    };
  }, [open, close]);
  // An id with no entry stays visible as marked (data-term), so the glossary's DOM test catches it.
  if (!term)
    return (
      <span className="term-missing" data-term={id}>
        {children}
      </span>
    );
  return (
    <>
      <span
        ref={ref}
        className={`term${open ? ' term-open' : ''}`}
        tabIndex={0}
        data-term={id}
        aria-describedby={open ? tipId : undefined}
        onPointerEnter={(e) => {
          if (e.pointerType !== 'mouse') return;
          cancelLeave();
          setHover(true);
        }}
        onPointerLeave={(e) => {
          if (e.pointerType === 'mouse') leaveSoon();
        }}
        onFocus={() => setFocus(true)}
        onBlur={() => {
          setFocus(false);
          setDismissed(false);
        }}
        onKeyDown={(e) => {
          // Enter or Space pins it open (or closes it), as a tap does; the step keys are not these.
          if (e.key !== 'Enter' && e.key !== ' ') return;
          e.preventDefault();
          setDismissed(false);
          setPinned((p) => !p);
        }}
        onClick={(e) => {
          // A tap (or a click) pins it open, a second one closes it; it never follows a link around it.
          e.stopPropagation();
          setDismissed(false);
          setPinned((p) => !p);
        }}
      >
        {children}
      </span>
      {open &&
        createPortal(
          <div
            ref={popRef}
            id={tipId}
            role="tooltip"
            className="gloss-pop"
            data-testid="glossary-popover"
            style={{ left: 0, top: 0, visibility: 'hidden' }}
            onPointerEnter={cancelLeave}
            onPointerLeave={(e) => {
              if (e.pointerType === 'mouse' && !pinned) leaveSoon();
            }}
          >
            {meaning && <p className="gloss-meaning">{meaning}</p>}
            <p className="gloss-def">
              <strong>{term.name}</strong>: {term.def}
            </p>
            {term.link && (
              <a href={term.link.href} target="_blank" rel="noreferrer" className="gloss-link" tabIndex={-1}>
                kernel source: {term.link.label}
              </a>
            )}
          </div>,
          document.body,
        )}
    </>
  );
}

/** A kvmmmu role notation, each field a term with what it means in this notation. */
export function RoleNotation({ text }: { text: string }) {
  return (
    <span className="notation" data-testid="role-notation">
      {decodeNotation(text).map((p, i) =>
        p.kind === 'text' ? (
          p.text
        ) : (
          <Term key={i} id={p.term} meaning={p.meaning}>
            {p.text}
          </Term>
        ),
      )}
    </span>
  );
}

/** A text with every glossary term marked (its first occurrence) and every role notation decoded. */
export function Glossed({ text }: { text: string }) {
  return (
    <>
      {segmentsOf(text).map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : s.kind === 'notation' ? (
          <RoleNotation key={i} text={s.text} />
        ) : (
          <Term key={i} id={s.id}>
            {s.text}
          </Term>
        ),
      )}
    </>
  );
}
