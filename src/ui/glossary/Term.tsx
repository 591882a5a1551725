/**
 * Glossary terms in the UI: `<Term>` marks one term (a focusable span),
 * `<Glossed>` marks every glossary term in a text, `<RoleNotation>` decodes
 * a kvmmmu notation field by field, and `<GlossaryPopover>` (mounted once)
 * shows the definition of the term under the pointer, in focus or tapped:
 * beside the term, never over it; Esc closes it.
 *
 * One popover for the whole page, driven by delegated events: a term is a
 * plain span with no state or effects, so a long story with dozens of terms
 * costs no more to render than its text, and two popovers never show at once.
 * The popover is portalled to <body>: the side panel is `contain: strict`,
 * which would clip it and make `position: fixed` relative to the panel.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
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
 * One glossary term: focusable, its id in `data-term`. `meaning`: what this
 * occurrence means here (a role field's value), shown above the general
 * definition. An id with no entry is still marked, so the glossary's DOM
 * test finds it.
 */
export function Term({ id, children, meaning }: { id: string; children: React.ReactNode; meaning?: string }) {
  if (!TERM_BY_ID.has(id))
    return (
      <span className="term-missing" data-term={id}>
        {children}
      </span>
    );
  return (
    <span className="term" tabIndex={0} data-term={id} data-meaning={meaning}>
      {children}
    </span>
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

/** 'key': pinned open with Enter or Space; the focus then moves to the popover's kernel link. */
type Via = 'hover' | 'focus' | 'pin' | 'key';
interface Open {
  readonly el: HTMLElement;
  readonly via: Via;
}

const termOf = (t: EventTarget | null): HTMLElement | null => (t instanceof Element ? t.closest<HTMLElement>('.term[data-term]') : null);

/**
 * The one definition popover: opens for the term under the mouse, the term
 * with the keyboard focus, or a tapped (clicked, Enter, Space) term, which
 * stays until tapped again, tapped outside or Esc. The open term gets
 * `aria-describedby` (the popover, role="tooltip") and `term-open`.
 */
export function GlossaryPopover() {
  const [open, setOpen] = useState<Open | null>(null);
  const tipId = useId();
  const popRef = useRef<HTMLDivElement>(null);
  const openRef = useRef<Open | null>(null);
  const leaveTimer = useRef<number | null>(null);
  useEffect(() => {
    const set = (o: Open | null) => {
      const old = openRef.current;
      if (old && old.el !== o?.el) {
        old.el.removeAttribute('aria-describedby');
        old.el.classList.remove('term-open');
      }
      if (o) {
        o.el.setAttribute('aria-describedby', tipId);
        o.el.classList.add('term-open');
      }
      openRef.current = o;
      setOpen(o);
    };
    const cancelLeave = () => {
      if (leaveTimer.current !== null) window.clearTimeout(leaveTimer.current);
      leaveTimer.current = null;
    };
    const inPopover = (t: EventTarget | null) => t instanceof Node && !!popRef.current?.contains(t);
    const onOver = (e: PointerEvent) => {
      if (e.pointerType !== 'mouse') return;
      const el = termOf(e.target);
      const cur = openRef.current;
      if (el) {
        cancelLeave();
        if (cur?.el !== el && cur?.via !== 'pin') set({ el, via: 'hover' });
      } else if (inPopover(e.target)) cancelLeave();
    };
    const onOut = (e: PointerEvent) => {
      if (e.pointerType !== 'mouse') return;
      const cur = openRef.current;
      if (cur?.via !== 'hover' || termOf(e.relatedTarget) === cur.el || inPopover(e.relatedTarget)) return;
      cancelLeave();
      leaveTimer.current = window.setTimeout(() => {
        // The focus may have come to the term meanwhile: it keeps it open.
        if (openRef.current === cur) set(document.activeElement === cur.el ? { el: cur.el, via: 'focus' } : null);
      }, LEAVE_MS);
    };
    const pinned = (o: Open | null) => o?.via === 'pin' || o?.via === 'key';
    const onFocusIn = (e: FocusEvent) => {
      const el = termOf(e.target);
      const cur = openRef.current;
      if (el && !(pinned(cur) && cur!.el === el)) set({ el, via: 'focus' });
    };
    const onFocusOut = (e: FocusEvent) => {
      const cur = openRef.current;
      if (cur && cur.via === 'focus' && e.target === cur.el && !inPopover(e.relatedTarget)) set(null);
      // The focus left a keyboard-pinned popover for somewhere else on the page: it closes.
      if (cur && cur.via === 'key' && inPopover(e.target) && !inPopover(e.relatedTarget) && e.relatedTarget !== cur.el && e.relatedTarget !== null) set(null);
    };
    const toggle = (el: HTMLElement, via: 'pin' | 'key') => set(openRef.current?.el === el && pinned(openRef.current) ? null : { el, via });
    const onClick = (e: MouseEvent) => {
      const el = termOf(e.target);
      if (el) {
        // A tap (or a click) pins it open, a second one closes it; it never acts on what is around the term.
        e.stopPropagation();
        toggle(el, 'pin');
      }
    };
    const onDown = (e: PointerEvent) => {
      const cur = openRef.current;
      if (cur && !cur.el.contains(e.target as Node) && !inPopover(e.target)) set(null);
    };
    const onKey = (e: KeyboardEvent) => {
      const cur = openRef.current;
      if (e.key === 'Escape' && cur) {
        // Esc closes the popover, and nothing else (not the help, not presenting mode); from its link, the focus goes back to the term.
        e.stopPropagation();
        e.preventDefault();
        if (inPopover(e.target)) cur.el.focus();
        set(null);
        return;
      }
      // Tab from the popover's link (the popover lives at the end of the page) goes back to the term, closing it.
      if (e.key === 'Tab' && cur && inPopover(e.target)) {
        e.preventDefault();
        cur.el.focus();
        set({ el: cur.el, via: 'focus' });
        return;
      }
      const el = termOf(e.target);
      if (el && (e.key === 'Enter' || e.key === ' ')) {
        e.stopPropagation();
        e.preventDefault();
        toggle(el, 'key');
      }
    };
    // One table of listeners, added and removed alike: [target, event, handler, capture].
    const listeners: ReadonlyArray<readonly [EventTarget, string, (e: never) => void, boolean]> = [
      [document, 'pointerover', onOver, false],
      [document, 'pointerout', onOut, false],
      [document, 'focusin', onFocusIn, false],
      [document, 'focusout', onFocusOut, false],
      [document, 'click', onClick, true],
      [document, 'pointerdown', onDown, true],
      [window, 'keydown', onKey, true],
    ];
    for (const [target, type, fn, capture] of listeners) target.addEventListener(type, fn as EventListener, capture);
    return () => {
      for (const [target, type, fn, capture] of listeners) target.removeEventListener(type, fn as EventListener, capture);
      cancelLeave();
      set(null);
    };
  }, [tipId]);
  // A term that leaves the page (the step moved on) takes its popover with it;
  // checked only while one is open, so an idle page runs no timer.
  useEffect(() => {
    if (!open) return;
    const gone = window.setInterval(() => {
      if (open.el.isConnected) return;
      openRef.current = null;
      setOpen(null);
    }, 250);
    return () => window.clearInterval(gone);
  }, [open]);
  // Placed before the paint, from the sizes of both (the popover is drawn hidden first).
  useLayoutEffect(() => {
    const pop = popRef.current;
    if (!open || !pop) return;
    const r = open.el.getBoundingClientRect();
    const { left, top } = placePopover(r, { width: pop.offsetWidth, height: pop.offsetHeight }, { width: window.innerWidth, height: window.innerHeight });
    pop.style.left = `${left}px`;
    pop.style.top = `${top}px`;
    pop.style.visibility = 'visible';
    // Opened with Enter or Space: the kernel link is the one thing to do in it, so the focus goes there.
    if (open.via === 'key') pop.querySelector<HTMLElement>('.gloss-link')?.focus();
  }, [open]);
  if (!open) return null;
  const term = TERM_BY_ID.get(open.el.dataset.term ?? '');
  if (!term) return null;
  const meaning = open.el.dataset.meaning;
  return createPortal(
    <div
      key={`${term.id}:${meaning ?? ''}`}
      ref={popRef}
      id={tipId}
      // Pinned with the keyboard it holds the focus (its link): a non-modal dialog, not a tooltip.
      role={open.via === 'key' ? 'dialog' : 'tooltip'}
      aria-label={open.via === 'key' ? `Glossary: ${term.name}` : undefined}
      className="gloss-pop"
      data-testid="glossary-popover"
      style={{ left: 0, top: 0, visibility: 'hidden' }}
    >
      {meaning && <p className="gloss-meaning">{meaning}</p>}
      <p className="gloss-def">
        <strong>{term.name}</strong>: {term.def}
      </p>
      {term.link && (
        <a href={term.link.href} target="_blank" rel="noreferrer" className="gloss-link" tabIndex={open.via === 'key' ? 0 : -1}>
          kernel source: {term.link.label}
        </a>
      )}
    </div>,
    document.body,
  );
}
