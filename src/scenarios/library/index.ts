/**
 * The built-in scenario library: data only. Each entry has a stable id and a
 * version, so a link can name it ("built-in quadrants-32bit v1") and still
 * open the same scenario later.
 */
import cr0WpOff from './cr0-wp-off.json';
import cr3PcidSwitch from './cr3-pcid-switch.json';
import gvaBits from './gva-bits-before-after.json';
import longMode from './long-mode-4-levels.json';
import paeNonpresentPdpte from './pae-nonpresent-pdpte.json';
import pagingOff from './paging-off.json';
import pdWriteFlooding from './pd-write-flooding.json';
import permissionFaults from './permission-faults.json';
import pseDirect from './pse-direct-pages.json';
import pseHuge from './pse-host-huge.json';
import quadrants from './quadrants-32bit.json';
import selfMap from './self-map.json';
import staleChildUaf from './stale-child-uaf.json';
import sweep64 from './sweep-64-tables.json';
import unsync from './unsync-invlpg-sync.json';

export interface LibraryEntry {
  readonly id: string;
  readonly version: number;
  readonly json: unknown;
}

export const LIBRARY: readonly LibraryEntry[] = [
  { id: 'quadrants-32bit', version: 1, json: quadrants },
  { id: 'gva-bits-before-after', version: 1, json: gvaBits },
  { id: 'pse-direct-pages', version: 1, json: pseDirect },
  { id: 'pse-host-huge', version: 1, json: pseHuge },
  { id: 'pae-nonpresent-pdpte', version: 1, json: paeNonpresentPdpte },
  { id: 'long-mode-4-levels', version: 1, json: longMode },
  { id: 'permission-faults', version: 1, json: permissionFaults },
  { id: 'cr0-wp-off', version: 1, json: cr0WpOff },
  { id: 'unsync-invlpg-sync', version: 1, json: unsync },
  { id: 'pd-write-flooding', version: 1, json: pdWriteFlooding },
  { id: 'cr3-pcid-switch', version: 1, json: cr3PcidSwitch },
  { id: 'self-map', version: 1, json: selfMap },
  { id: 'paging-off', version: 1, json: pagingOff },
  { id: 'sweep-64-tables', version: 1, json: sweep64 },
  { id: 'stale-child-uaf', version: 1, json: staleChildUaf },
];

export const DEFAULT_SCENARIO_ID = 'quadrants-32bit';
