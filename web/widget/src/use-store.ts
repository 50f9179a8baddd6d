import { useEffect, useState } from 'preact/hooks';
import type { ConversationStore, WidgetState } from './conversation-store.ts';

/** The store's state, re-rendering on every change. */
export function useWidgetState(store: ConversationStore): WidgetState {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(() => setState(store.state)), [store]);
  return state;
}
