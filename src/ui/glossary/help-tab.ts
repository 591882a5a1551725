/**
 * Which page of the help overlay shows (Keyboard, Glossary, Legend). Its own
 * small store, so the top bar's Legend button can open the overlay on the
 * legend without a new setting in the app's store (the overlay's showing is
 * still the app store's `showHelp`).
 */
import { create } from 'zustand';
import { useStore } from '../store/index.ts';

export type HelpTab = 'keyboard' | 'glossary' | 'legend';
export const HELP_TABS: ReadonlyArray<readonly [HelpTab, string]> = [
  ['keyboard', 'Keyboard'],
  ['glossary', 'Glossary'],
  ['legend', 'Legend'],
];

export const useHelpTab = create<{ tab: HelpTab; setTab: (t: HelpTab) => void }>((set) => ({
  tab: 'keyboard',
  setTab: (tab) => set({ tab }),
}));

/** Opens the help overlay on one of its pages. */
export function openHelp(tab: HelpTab): void {
  useHelpTab.getState().setTab(tab);
  useStore.getState().toggleHelp(true);
}
