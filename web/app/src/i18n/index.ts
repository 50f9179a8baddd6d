import { en } from './en.ts';
import type { MessageKey } from './en.ts';
import { fr } from './fr.ts';

/** The app's strings, in English and French; every string of the UI goes through {@link t}. */

export const Languages = ['en', 'fr'] as const;
export type Language = (typeof Languages)[number];
export type { MessageKey };

const catalogs: Record<Language, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = 'parley.language';

let current: Language = initialLanguage();
const listeners = new Set<() => void>();

/** The saved choice, else the browser's first language we have, else English. */
function initialLanguage(): Language {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'fr') return saved;
  for (const tag of globalThis.navigator?.languages ?? []) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'en' || base === 'fr') return base;
  }
  return 'en';
}

export function language(): Language {
  return current;
}

export function setLanguage(next: Language): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener();
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The message in the current language, `{name}` replaced by `vars.name`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return catalogs[current][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The message of a key made at run time (e.g. a report column), or `fallback` when there is none. */
export function tOr(key: string, fallback: string): string {
  return key in catalogs[current] ? t(key as MessageKey) : fallback;
}

/** "3 min", "1 h 5 min", "12 s" (the same in both languages, with the locale's digits). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const n = (v: number) => v.toLocaleString(current);
  if (hours > 0) return `${n(hours)} h ${n(minutes)} min`;
  if (minutes > 0) return `${n(minutes)} min`;
  return `${n(seconds)} s`;
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(current, { dateStyle: 'short', timeStyle: 'short' });
}
