/** Range, alignment and canonical-form checks for addresses, per guest mode. */
import type { GuestMode, U64 } from '../core/scenario.ts';
import { fail } from './errors.ts';
import { formatHex, pow2, TWO_POW_32, u64Below, u64ToNumber } from './hex.ts';

type Path = readonly PropertyKey[];

/** The architectural physical-address ceiling (MAXPHYADDR can be at most 52). */
export const MAX_PHYS_BITS = 52;

export function modeLabel(mode: GuestMode): string {
  return mode === 'off' ? 'guest with paging off' : `${mode} guest`;
}

/**
 * A linear address (gva) as the core stores it: a number below 2^32 for the
 * 32-bit modes and `off`; for x86-64 the value must be canonical (bits 63:47
 * all equal) and bits 47:0 are kept, so the result is below 2^48.
 */
export function linearAddress(v: U64, mode: GuestMode, path: Path): number {
  if (mode !== 'x86-64') {
    if (v.hi !== 0) {
      fail(path, `${formatHex(v)} does not fit in 32 bits; linear addresses are 32-bit in a ${modeLabel(mode)}`);
    }
    return v.lo;
  }
  const top = v.hi >>> 15; // bits 63:47
  if (top !== 0 && top !== 0x1ffff) {
    fail(
      path,
      `${formatHex(v)} is not canonical: in x86-64, bits 63:47 of an address must all be equal ` +
        '(user half up to 0x7FFF_FFFFFFFF, kernel half from 0xFFFF8000_00000000)',
    );
  }
  return (v.hi & 0xffff) * TWO_POW_32 + v.lo;
}

/** A physical address below 2^bits, as a number. */
export function physAddress(v: U64, bits: number, path: Path, why: string): number {
  if (!u64Below(v, bits)) fail(path, `${formatHex(v)} is too large: ${why}`);
  return u64ToNumber(v);
}

/** Rejects a CR3 value the given paging mode cannot hold. `what` prefixes the message. */
export function checkCr3(cr3: number, mode: GuestMode, maxPhyAddr: number, path: Path, what = '', pcide = false): void {
  if (mode === 'off') return;
  const shown = `${what}${formatHex(cr3)}`;
  if (mode === 'x86-32' || mode === 'pae') {
    if (cr3 >= TWO_POW_32) fail(path, `${shown} does not fit in 32 bits, as CR3 must in a ${mode} guest`);
  } else if (cr3 >= pow2(maxPhyAddr)) {
    fail(path, `${shown} is at or above 2^${maxPhyAddr} (guest.maxPhyAddr)`);
  }
  const low = cr3 % 4096;
  if (mode === 'pae') {
    if (low % 32 !== 0) {
      fail(path, `${shown} is not 32-byte aligned; in pae mode CR3 points at the 4-entry PDPT and must be a multiple of 0x20`);
    }
  } else if (!pcide && (low & ~0x18) !== 0) {
    fail(
      path,
      `${shown} is not 4 KiB aligned; in a ${mode} guest the low 12 bits of CR3 may only carry PWT (bit 3, 0x8) and PCD (bit 4, 0x10)`,
    );
  }
}
