/**
 * The timeline's marks, one per step outcome: a shape as well as a colour,
 * so they read without colour (and in greyscale). The colours (index.css,
 * `--mk-*`) are not the quadrant colours (Okabe-Ito orange, sky blue, green,
 * reddish purple): greys, a dark blue, vermillion and yellow, each with 3:1
 * contrast or more on the panel in both themes (yellow with a dark outline).
 */
import type { StepResult } from '../../core/index.ts';

export type MarkKind = StepResult['outcome'] | 'init';

export interface OutcomeMark {
  readonly cls: string;
  /** One path in a 14 x 14 box. */
  readonly d: string;
  readonly shape: string;
  readonly label: string;
  readonly meaning: string;
}

export const OUTCOME_MARKS: Record<MarkKind, OutcomeMark> = {
  init: { cls: 'mk-init', d: 'M3 1.5L12.5 7L3 12.5Z', shape: 'a triangle pointing right', label: 'initial VM entry', meaning: 'step 0: the first VM entry, which builds the roots' },
  hit: { cls: 'mk-hit', d: 'M3 7a4 4 0 1 0 8 0a4 4 0 1 0 -8 0Z', shape: 'a small grey dot', label: 'hit', meaning: 'the shadow tables already allowed the access: KVM never ran' },
  'shadow-fault': { cls: 'mk-shadow', d: 'M2 2H12V12H2Z', shape: 'a blue square', label: 'shadow fault', meaning: 'a #PF exit that KVM fixed by building shadow entries' },
  'guest-fault': { cls: 'mk-guest', d: 'M7 1L13.2 12.6H0.8Z', shape: 'a vermillion triangle', label: 'guest fault', meaning: "the guest's own tables forbid the access: KVM injected the fault" },
  emulated: { cls: 'mk-emulated', d: 'M7 0.8L13.2 7L7 13.2L0.8 7Z', shape: 'a yellow diamond', label: 'emulated', meaning: 'KVM emulated the instruction (a write to a shadowed page table, or MMIO)' },
  done: { cls: 'mk-done', d: 'M1 5H13V9H1Z', shape: 'a bar', label: 'done', meaning: 'a control-register or TLB operation, or a host-side event' },
};
