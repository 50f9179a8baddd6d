import { useState } from 'preact/hooks';
import type { DeskConversation, DeskState, DeskStore } from '../desk-store.ts';
import { t } from '../i18n/index.ts';
import type { Session } from '../session.ts';
import { Composer } from './Composer.tsx';
import { History } from './History.tsx';
import { TransferDialog } from './TransferDialog.tsx';
import { WrapUpDialog } from './WrapUpDialog.tsx';

/** The open conversation: who, where, the whole history, the reply box, transfer and wrap-up. */
export function ConversationPane({ desk, state, conversation, session }: { desk: DeskStore; state: DeskState; conversation: DeskConversation; session: Session }) {
  const [dialog, setDialog] = useState<'none' | 'transfer' | 'wrapUp'>('none');
  const customer = conversation.customerName ?? conversation.view?.customerId.slice(0, 8) ?? '…';
  const channel = conversation.view?.channel ?? '';
  const queue = state.queues.find((q) => q.name === conversation.view?.queue);
  return (
    <article class="conversation" aria-labelledby="conversation-heading">
      <header class="conversation-header">
        <h2 id="conversation-heading">{t('conversation.heading', { customer, channel })}</h2>
        {conversation.view?.queue && <p>{t('conversation.queue', { queue: conversation.view.queue })}</p>}
        {conversation.view?.optedOut && <p class="warning">{t('conversation.optedOut')}</p>}
        <div class="actions">
          <button type="button" onClick={() => setDialog('transfer')} disabled={Boolean(conversation.afterWorkUntil)}>
            {t('conversation.transfer')}
          </button>
          <button type="button" onClick={() => setDialog('wrapUp')} disabled={Boolean(conversation.afterWorkUntil)}>
            {t('conversation.wrapUp')}
          </button>
        </div>
      </header>
      {conversation.loaded ? (
        <>
          <p class="history-count">{t('history.count', { count: conversation.messages.length })}</p>
          <History messages={conversation.messages} conversationId={conversation.id} label={t('history.label', { customer })} />
        </>
      ) : (
        <p role="status">{t('conversation.loading')}</p>
      )}
      <p role="status" class="typing">
        {conversation.customerTyping ? t('conversation.customerTyping', { customer }) : ''}
      </p>
      {!conversation.afterWorkUntil && <Composer desk={desk} api={desk.api} conversation={conversation} agentName={state.agent?.name ?? session.sub} />}
      {dialog === 'transfer' && <TransferDialog state={state} self={session.sub} onTransfer={(to, note) => desk.transfer(conversation.id, to, note)} onClose={() => setDialog('none')} />}
      {dialog === 'wrapUp' && <WrapUpDialog queue={queue} onWrapUp={(code, notes) => desk.close(conversation.id, code, notes)} onClose={() => setDialog('none')} />}
    </article>
  );
}
