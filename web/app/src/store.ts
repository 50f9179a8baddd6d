import { useEffect, useState } from 'preact/hooks';

/** A tiny observable state holder: the app's stores extend it, components read it through {@link useStore}. */
export class Store<S extends object> {
  private listeners = new Set<() => void>();
  constructor(protected current: S) {}

  get state(): S {
    return this.current;
  }

  protected set(patch: Partial<S>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Re-renders the component whenever the store changes; returns its state. */
export function useStore<S extends object>(store: Store<S>): S {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), [store]);
  return store.state;
}

/** Re-renders every `ms` (countdowns, waiting times). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
