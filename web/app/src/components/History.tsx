import { Virtualizer, elementScroll, observeElementOffset, observeElementRect, measureElement } from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { HistoryMessage } from '../../../../src/gateway/views.ts';
import { formatTime, t } from '../i18n/index.ts';

/**
 * The customer's whole history, every channel, virtualized with @tanstack/virtual-core:
 * only the rows in view (plus a few) are in the DOM, so 10,000 messages scroll as smoothly
 * as 10. Rows are measured as they render (messages differ in height). It follows new
 * messages while the agent is at the bottom, and stays put while they read older ones.
 *
 * A `feed` of `article`s with their position in the set, so screen readers can walk it
 * even though most rows are not rendered; new messages are announced by the desktop's
 * status region, not by this list.
 */
export function History({ messages, conversationId, label }: { messages: readonly HistoryMessage[]; conversationId: string; label: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLDivElement, HTMLElement>({
        count: messages.length,
        getScrollElement: () => scroller.current,
        estimateSize: () => 64,
        overscan: 8,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        measureElement,
        anchorTo: 'end',
        followOnAppend: true,
        getItemKey: (i) => messages[i]?.id ?? i,
        onChange: () => rerender(undefined),
      }),
  );
  virtualizer.setOptions({
    ...virtualizer.options,
    count: messages.length,
    getItemKey: (i) => messages[i]?.id ?? i,
  });
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => virtualizer._willUpdate());
  // Open at the latest message.
  useEffect(() => {
    if (messages.length > 0) virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
    // Only when the list first has messages (later ones are followed by `followOnAppend`).
  }, [messages.length > 0]);

  const items = virtualizer.getVirtualItems();
  return (
    <div ref={scroller} class="history" role="feed" aria-label={label} aria-busy={false} tabIndex={0} data-count={messages.length}>
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
        {items.map((item) => {
          const message = messages[item.index];
          if (!message) return null;
          return (
            <article
              key={item.key}
              data-index={item.index}
              ref={(el) => virtualizer.measureElement(el)}
              aria-posinset={item.index + 1}
              aria-setsize={messages.length}
              class={`message message-${message.direction}${message.conversationId === conversationId ? '' : ' message-earlier'}`}
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${item.start}px)` }}
            >
              <MessageBody message={message} current={message.conversationId === conversationId} />
            </article>
          );
        })}
      </div>
    </div>
  );
}

function MessageBody({ message, current }: { message: HistoryMessage; current: boolean }) {
  const who = message.direction === 'inbound' ? t('history.inbound') : message.agentId ? t('history.outbound', { agent: message.agentId }) : t('history.outboundNoAgent');
  return (
    <div class="bubble">
      <p class="meta">
        <span class="who">{who}</span> · <span class="channel">{message.channel}</span> · <time dateTime={message.sentAt}>{formatTime(message.sentAt)}</time>
        {!current && <> · {t('history.otherConversation')}</>}
        {message.deliveryStatus && <> · {t(`history.delivery.${message.deliveryStatus as 'sent'}`)}</>}
      </p>
      {message.text && <p class="text">{message.text}</p>}
      {message.attachments?.map((a) =>
        a.contentType.startsWith('image/') ? (
          <img key={a.url} src={a.url} alt={a.filename ?? t('history.attachment', { name: a.url })} class="attachment-image" loading="lazy" />
        ) : (
          <p key={a.url}>
            <a href={a.url} target="_blank" rel="noreferrer noopener">
              {t('history.attachment', { name: a.filename ?? a.url })}
            </a>
          </p>
        ),
      )}
      {message.content?.map((c, i) =>
        c.type === 'quickReplies' ? (
          <p key={i} class="quick-replies-sent">
            {!message.text && <span class="text">{c.text} </span>}
            {t('history.quickReplies', { options: c.options.map((o) => o.text).join(', ') })}
          </p>
        ) : c.type === 'buttonResponse' ? (
          <p key={i}>{t('history.tapped', { text: c.text })}</p>
        ) : c.type === 'listPicker' ? (
          <p key={i} class="quick-replies-sent">
            <span class="text">{c.title} </span>
            {t('history.choices', { options: c.sections.flatMap((s) => s.items.map((item) => item.title)).join(', ') })}
          </p>
        ) : c.type === 'timePicker' ? (
          <p key={i} class="quick-replies-sent">
            <span class="text">{c.title} </span>
            {t('history.choices', { options: c.slots.map((slot) => new Intl.DateTimeFormat(undefined, { timeZone: c.timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(slot.start))).join(', ') })}
          </p>
        ) : c.type === 'richLink' ? (
          <p key={i}>
            <a href={c.url} target="_blank" rel="noreferrer noopener">
              {c.title}
            </a>
          </p>
        ) : c.type === 'form' ? (
          <p key={i} class="quick-replies-sent">
            <span class="text">{c.title} </span>
            {t('history.formFields', { fields: c.fields.map((f) => f.label).join(', ') })}
          </p>
        ) : c.type === 'formResponse' && !message.text ? (
          <dl key={i} aria-label={t('history.formAnswers')}>
            {Object.entries(c.values).map(([name, value]) => [<dt key={`${name}:k`}>{name}</dt>, <dd key={`${name}:v`}>{value}</dd>])}
          </dl>
        ) : 'text' in c && typeof c.text === 'string' ? (
          <p key={i}>{c.text}</p>
        ) : null,
      )}
    </div>
  );
}
