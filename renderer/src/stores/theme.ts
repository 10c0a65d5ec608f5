// Light / dark / follow-the-system theme, persisted in localStorage and applied
// as `data-theme` on <html> (the stylesheet handles 'system' with a media query).
import { create } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'stateward.theme';

function read(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

function apply(choice: ThemeChoice): void {
  document.documentElement.dataset['theme'] = choice;
}

interface ThemeState {
  choice: ThemeChoice;
  set(choice: ThemeChoice): void;
}

export const useTheme = create<ThemeState>((set) => {
  const initial = read();
  apply(initial);
  return {
    choice: initial,
    set(choice) {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
      apply(choice);
      set({ choice });
    },
  };
});
