import { useEffect } from 'preact/hooks';
import type { DeskStore } from '../desk-store.ts';
import { t } from '../i18n/index.ts';
import type { Session } from '../session.ts';
import { useStore } from '../store.ts';
import { ConversationPane } from './ConversationPane.tsx';
import { Inbox } from './Inbox.tsx';
import { Offers } from './Offers.tsx';
import { PresenceBar } from './PresenceBar.tsx';

/** The agent desktop: presence and load, ringing offers, the inbox, the open conversation. */
export function Desktop({ desk, session }: { desk: DeskStore; session: Session }) {
  const state = useStore(desk);

  // Alt+A accepts the first ringing offer; Alt+J / Alt+K move through the inbox.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const key = event.key.toLowerCase();
      if (key === 'a' && desk.state.offers[0]) {
        event.preventDefault();
        void desk.accept(desk.state.offers[0].offerId);
      } else if (key === 'j' || key === 'k') {
        const list = desk.state.conversations;
        const at = list.findIndex((c) => c.id === desk.state.selectedId);
        const next = list[(at + (key === 'j' ? 1 : list.length - 1)) % Math.max(list.length, 1)];
        if (next) {
          event.preventDefault();
          desk.select(next.id);
        }
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [desk]);

  const selected = state.conversations.find((c) => c.id === state.selectedId);
  return (
    <div class="desktop">
      <div role="status" class="visually-hidden" aria-live="polite">
        {state.announcement}
      </div>
      <div role="alert" class="visually-hidden">
        {state.alert}
      </div>
      <aside class="side">
        <PresenceBar desk={desk} state={state} />
        {state.error && <p class="error">{state.error}</p>}
        <Offers desk={desk} offers={state.offers} />
        <Inbox desk={desk} state={state} />
      </aside>
      <section class="work" aria-label={selected ? undefined : t('conversation.none')}>
        {selected ? <ConversationPane key={selected.id} desk={desk} state={state} conversation={selected} session={session} /> : <p class="empty">{t('conversation.none')}</p>}
      </section>
    </div>
  );
}
