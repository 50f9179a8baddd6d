import { useEffect, useRef } from 'preact/hooks';
import type { ShownMessage } from './conversation-store.ts';
import type { Strings } from './i18n.ts';
import { RichContentView } from './rich-content.tsx';

interface Props {
  messages: readonly ShownMessage[];
  t: Strings;
  onPostback: (text: string, payload: string) => void;
  onForm: (payload: string, values: Record<string, string>) => void;
}

/**
 * The conversation, as an ARIA log: screen readers announce messages as they are added,
 * not the whole history again (WCAG 2.1 SC 4.1.3).
 */
export function MessageList({ messages, t, onPostback, onForm }: Props) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => end.current?.scrollIntoView?.({ block: 'end' }), [messages.length]);
  return (
    <div class="messages" role="log" aria-label={t.log}>
      <ol>
      {messages.map((m) => (
        <li key={m.id} class={`message ${m.direction === 'inbound' ? 'own' : 'agent'}`} data-pending={m.pending}>
          <span class="sr-only">{m.direction === 'inbound' ? t.you : t.agent}: </span>
          {m.text !== undefined && !m.content?.some((c) => c.type === 'quickReplies' && c.text === m.text) && <p>{m.text}</p>}
          {m.attachments?.map((a) =>
            a.contentType.startsWith('image/') ? (
              <a key={a.url} href={a.url} target="_blank" rel="noopener noreferrer">
                <img src={a.url} alt={a.filename ?? t.attachment} />
              </a>
            ) : (
              <a key={a.url} href={a.url} target="_blank" rel="noopener noreferrer">
                {a.filename ?? t.attachment}
              </a>
            ),
          )}
          {m.direction === 'outbound' && m.content?.map((c, i) => <RichContentView key={i} content={c} t={t} onPostback={onPostback} onForm={onForm} />)}
          {m.pending && <small>{{ sending: t.sending, waiting: t.failed, refused: t.refused }[m.pending]}</small>}
        </li>
      ))}
        <li ref={end} aria-hidden="true" class="end" />
      </ol>
    </div>
  );
}
