import type { HistoryMessage } from './api.ts';
import type { Strings } from './i18n.ts';

type Content = NonNullable<HistoryMessage['content']>[number];
type Action = Extract<Content, { type: 'buttons' }>['actions'][number];

interface Props {
  content: Content;
  t: Strings;
  onPostback: (text: string, payload: string) => void;
}

/** Rich content of an agent's message. Quick replies are drawn under the last message instead (see QuickReplies). */
export function RichContentView({ content, t, onPostback }: Props) {
  switch (content.type) {
    case 'quickReplies':
      return <p>{content.text}</p>;
    case 'buttons':
      return (
        <div>
          <p>{content.text}</p>
          <Actions actions={content.actions} onPostback={onPostback} />
        </div>
      );
    case 'card':
      return <Card card={content} onPostback={onPostback} />;
    case 'carousel':
      return (
        <ul class="carousel">
          {content.cards.map((card, i) => (
            <li key={i}>
              <Card card={card} onPostback={onPostback} />
            </li>
          ))}
        </ul>
      );
    case 'location':
      return (
        <p>
          {t.location}: {content.name ?? ''} {content.address ?? ''} ({content.latitude}, {content.longitude})
        </p>
      );
    case 'buttonResponse':
      return null;
  }
}

function Card({ card, onPostback }: { card: Omit<Extract<Content, { type: 'card' }>, 'type'>; onPostback: Props['onPostback'] }) {
  return (
    <div class="card">
      {card.imageUrl && <img src={card.imageUrl} alt="" />}
      <strong>{card.title}</strong>
      {card.description && <p>{card.description}</p>}
      <Actions actions={card.actions} onPostback={onPostback} />
    </div>
  );
}

function Actions({ actions, onPostback }: { actions: readonly Action[]; onPostback: Props['onPostback'] }) {
  if (actions.length === 0) return null;
  return (
    <div class="actions">
      {actions.map((action, i) =>
        action.type === 'postback' ? (
          <button key={i} type="button" onClick={() => onPostback(action.text, action.payload)}>
            {action.text}
          </button>
        ) : (
          <a key={i} href={action.url} target="_blank" rel="noopener noreferrer">
            {action.text}
          </a>
        ),
      )}
    </div>
  );
}

/** The options of the last message's quick replies, until the customer answers. */
export function QuickReplies({ messages, t, onPostback }: { messages: readonly HistoryMessage[]; t: Strings; onPostback: Props['onPostback'] }) {
  const last = messages[messages.length - 1];
  if (!last || last.direction !== 'outbound') return null;
  const replies = last.content?.find((c): c is Extract<Content, { type: 'quickReplies' }> => c.type === 'quickReplies');
  if (!replies) return null;
  return (
    <div class="quick-replies" role="group" aria-label={t.quickReplies}>
      {replies.options.map((option) => (
        <button key={option.payload} type="button" onClick={() => onPostback(option.text, option.payload)}>
          {option.text}
        </button>
      ))}
    </div>
  );
}
