/**
 * A step told in one or two sentences: what the guest (or the host) did and
 * what came of it, with the numbers. Presenting mode and the embed show it as
 * their caption; the side panel tells the kernel's call path below it.
 */
import type { Step, Timeline, TraceEvent } from '../../core/index.ts';

const hex = (n: number) => `0x${n.toString(16)}`;

const who = (user: boolean) => (user ? 'the guest (user mode)' : 'the guest kernel');

/** What a step asks of the machine, in plain words ("the guest reads 0xc0603123"). */
function operation(s: Step): string {
  switch (s.op) {
    case 'read':
      return `${who(s.user)} reads ${hex(s.gva)}`;
    case 'fetch':
      return `${who(s.user)} runs code at ${hex(s.gva)}`;
    case 'write':
      return `${who(s.user)} writes ${hex(s.gva)}`;
    case 'cr3':
      return `the guest loads CR3 = ${hex(s.value)}${s.noflush ? ' (no flush)' : ''}`;
    case 'invlpg':
      return `the guest invalidates ${hex(s.gva)} (INVLPG)`;
    case 'cr0':
      return `the guest sets CR0${s.wp !== undefined ? `.WP=${s.wp ? 1 : 0}` : ''}${s.pg !== undefined ? `.PG=${s.pg ? 1 : 0}` : ''}`;
    case 'cr4':
      return `the guest changes CR4 (${Object.entries(s)
        .filter(([k]) => k !== 'op')
        .map(([k, v]) => `${k.toUpperCase()}=${v ? 1 : 0}`)
        .join(', ')})`;
    case 'efer':
      return `the guest changes EFER${s.nx !== undefined ? ` NX=${s.nx ? 1 : 0}` : ''}${s.lme !== undefined ? ` LME=${s.lme ? 1 : 0}` : ''}`;
    case 'host-write':
      return `the host writes guest memory at ${hex(s.gpa)}, unseen by KVM`;
    case 'zap-all':
      return 'the host zaps every shadow page (kvm_mmu_zap_all)';
  }
}

/** The shadow pages a step made, in a few words each (more than two: as one group, so the caption stays short). */
function created(events: readonly TraceEvent[]): string[] {
  const made = events.flatMap((e) => (e.kind === 'kvm_mmu_get_page' && e.created ? [e] : []));
  if (made.length > 2) {
    const ids = made.map((e) => e.sp);
    const quadrants = [...new Set(made.map((e) => e.role.quadrant))];
    return [`${made.length} shadow pages, sp ${ids[0]}–${ids[ids.length - 1]}${quadrants.length > 1 ? ` (quadrants ${quadrants.join(', ')})` : ''}`];
  }
  return made.map((e) => `sp ${e.sp} (${e.role.direct ? 'direct, ' : ''}gfn ${e.gfn}, level ${e.role.level}, quadrant ${e.role.quadrant})`);
}

const list = (xs: readonly string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** The timeline marker's label: `step 3: read 0xc0603123 → shadow-fault`. */
export function stepLabel(tl: Timeline, i: number): string {
  const s = tl.scenario.steps[i]!;
  const what =
    'gva' in s
      ? `${s.op} 0x${s.gva.toString(16)}${'user' in s && s.user ? ' (user)' : ''}`
      : s.op === 'cr3'
        ? `cr3 = 0x${s.value.toString(16)}`
        : s.op === 'host-write'
          ? `host writes gpa 0x${s.gpa.toString(16)}`
          : s.op;
  return `step ${i + 1}: ${what} → ${tl.results[i]!.outcome}`;
}

/** One or two sentences for step `step` (0: the first VM entry). */
export function stepCaption(tl: Timeline, step: number): string {
  if (step === 0) {
    const made = created(tl.initialEvents);
    return `First VM entry: KVM builds the shadow roots${made.length ? `: ${list(made)}` : ''}.`;
  }
  const s = tl.scenario.steps[step - 1]!;
  const r = tl.results[step - 1]!;
  const what = operation(s);
  const made = created(r.events);
  const built = made.length ? ` KVM builds ${list(made)}.` : '';
  const head = `${what.charAt(0).toUpperCase()}${what.slice(1)}`;
  switch (r.outcome) {
    case 'hit':
      return `${head}: the shadow tables map it, no exit to KVM.`;
    case 'shadow-fault':
      return `${head}: no shadow entry, #PF exit.${built || ' KVM fixes the shadow entries.'}`;
    case 'guest-fault':
      return r.vector === 13
        ? `${head}: KVM injects #GP(0) into the guest.${built}`
        : `${head}: the guest's own tables forbid it, so KVM injects a #PF (error code ${hex(r.errorCode ?? 0)}).${built}`;
    case 'emulated':
      return `${head}: KVM write-protects that page (a guest page table, or MMIO), so it emulates the instruction.${built}`;
    case 'done':
      return `${head}.${built}`;
  }
}
