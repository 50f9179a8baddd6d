import type { Effect } from './effects.ts';

/** Picks the effects out of the actions a pure XState transition returned. */
export function collectEffects(actions: readonly { type: string; params?: unknown }[]): Effect[] {
  const effects: Effect[] = [];
  for (const action of actions) {
    if (action.type === 'effects' && Array.isArray(action.params)) effects.push(...(action.params as Effect[]));
  }
  return effects;
}
