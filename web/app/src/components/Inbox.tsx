import type { DeskConversation, DeskState, DeskStore } from '../desk-store.ts';
import { formatDuration, t } from '../i18n/index.ts';
import { useNow } from '../store.ts';

/**
 * Since when the customer has been waiting for an answer: their last message, when no
 * reply came after it in this conversation. `undefined` when they are not waiting.
 */
export function waitingSince(conversation: DeskConversation): number | undefined {
  const own = conversation.messages.filter((m) => m.conversationId === conversation.id);
  const last = own.at(-1);
  return last?.direction === 'inbound' ? Date.parse(last.sentAt) : undefined;
}

/** Longest-waiting first; conversations nobody waits on after them, oldest first. */
export function inboxOrder(conversations: readonly DeskConversation[]): DeskConversation[] {
  return [...conversations].sort((a, b) => (waitingSince(a) ?? Infinity) - (waitingSince(b) ?? Infinity));
}

/** Every conversation the agent holds, across channels, with unread counts and waiting times. */
export function Inbox({ desk, state }: { desk: DeskStore; state: DeskState }) {
  const now = useNow(1000);
  const ordered = inboxOrder(state.conversations);
  return (
    <nav class="inbox" aria-labelledby="inbox-heading">
      <h2 id="inbox-heading">{t('inbox.heading')}</h2>
      {ordered.length === 0 ? (
        <p class="empty">{t(state.agent?.presence === 'available' ? 'inbox.emptyAvailable' : 'inbox.empty')}</p>
      ) : (
        <ul>
          {ordered.map((c) => {
            const since = waitingSince(c);
            const name = c.customerName ?? c.view?.customerId.slice(0, 8) ?? '…';
            const status = c.afterWorkUntil ? t('inbox.afterWork') : since !== undefined ? t('inbox.waiting', { duration: formatDuration(now - since) }) : t('inbox.replied');
            return (
              <li key={c.id}>
                <button type="button" class="inbox-item" aria-current={c.id === state.selectedId ? 'true' : undefined} onClick={() => desk.select(c.id)}>
                  <span class="inbox-name">{name}</span>
                  <span class={`channel channel-${c.channelType ?? 'open'}`}>{c.view?.channel ?? ''}</span>
                  <span class="inbox-status">{status}</span>
                  {c.unread > 0 && (
                    // aria-label is not allowed on a plain span (ARIA 1.2): the words are hidden text.
                    <span class="badge">
                      <span aria-hidden="true">{c.unread}</span>
                      <span class="visually-hidden">{t('inbox.unread', { count: c.unread })}</span>
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
