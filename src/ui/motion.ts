/**
 * Whether the user asked their system for less motion (prefers-reduced-motion):
 * then the tables jump to what a step is about instead of scrolling there
 * smoothly (Canvas.tsx), as index.css drops the cards' fade-in, flash and
 * zap-out. Read at each use, so a change of the setting applies at once.
 */
export const sim_reducedMotion = (): boolean => typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
