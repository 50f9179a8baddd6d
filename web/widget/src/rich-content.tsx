import { useState } from 'preact/hooks';
import type { HistoryMessage } from './api.ts';
import type { Strings } from './i18n.ts';

type Content = NonNullable<HistoryMessage['content']>[number];
type Action = Extract<Content, { type: 'buttons' }>['actions'][number];
type FormContent = Extract<Content, { type: 'form' }>;

interface Props {
  content: Content;
  t: Strings;
  onPostback: (text: string, payload: string) => void;
  onForm: (payload: string, values: Record<string, string>) => void;
}

/** Rich content of an agent's message. Quick replies are drawn under the last message instead (see QuickReplies). */
export function RichContentView({ content, t, onPostback, onForm }: Props) {
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
    case 'listPicker':
      return (
        <div class="card">
          <strong>{content.title}</strong>
          {content.subtitle && <p>{content.subtitle}</p>}
          {content.sections.map((section, i) => (
            <div key={i} role="group" aria-label={section.title ?? content.title}>
              {section.title && <p>{section.title}</p>}
              <div class="actions">
                {section.items.map((item) => (
                  <button key={item.payload} type="button" onClick={() => onPostback(item.title, item.payload)}>
                    {item.title}
                    {item.subtitle && <small> {item.subtitle}</small>}
                  </button>
                ))}
              </div>
            </div>
          ))}
        </div>
      );
    case 'timePicker':
      return (
        <div class="card" role="group" aria-label={content.title}>
          <strong>{content.title}</strong>
          <div class="actions">
            {content.slots.map((slot) => {
              const label = slotLabel(slot, content.timeZone);
              return (
                <button key={slot.payload} type="button" onClick={() => onPostback(label.slice(0, 100), slot.payload)}>
                  {label}
                </button>
              );
            })}
          </div>
        </div>
      );
    case 'richLink':
      return (
        <a class="card" href={content.url} target="_blank" rel="noopener noreferrer">
          {content.imageUrl && <img src={content.imageUrl} alt="" />}
          <strong>{content.title}</strong>
          <small>{new URL(content.url).hostname}</small>
        </a>
      );
    case 'form':
      return <FormView form={content} t={t} onForm={onForm} />;
    case 'formResponse':
    case 'buttonResponse':
      return null;
  }
}

/** A slot in the customer's own locale and the picker's zone, e.g. "Tue 8 Dec, 09:00 – 09:30". */
function slotLabel(slot: { start: string; durationMinutes: number }, timeZone: string): string {
  const start = new Date(slot.start);
  const end = new Date(start.getTime() + slot.durationMinutes * 60_000);
  return new Intl.DateTimeFormat(undefined, { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).formatRange(start, end);
}

const inputTypes: Record<Exclude<FormContent['fields'][number]['kind'], 'select'>, string> = { text: 'text', email: 'email', phone: 'tel', number: 'number', date: 'date' };

/** An agent's form: answered once, then shown as sent. */
function FormView({ form, t, onForm }: { form: FormContent; t: Strings; onForm: Props['onForm'] }) {
  const [sent, setSent] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const values: Record<string, string> = {};
    for (const f of form.fields) {
      const value = data.get(f.name);
      if (typeof value === 'string' && value.trim() !== '') values[f.name] = value.trim();
    }
    onForm(form.payload, values);
    setSent(true);
  };
  return (
    <form class="card" onSubmit={submit} aria-label={form.title}>
      <strong>{form.title}</strong>
      <fieldset disabled={sent}>
        {form.fields.map((f) => (
          <label key={f.name}>
            {f.label}
            {f.kind === 'select' ? (
              <select name={f.name} required={f.required}>
                <option value="" />
                {f.options?.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input name={f.name} type={inputTypes[f.kind] as 'text'} required={f.required} />
            )}
          </label>
        ))}
        <div class="actions">
          <button type="submit">{sent ? t.formSent : (form.submitLabel ?? t.formSubmit)}</button>
        </div>
      </fieldset>
    </form>
  );
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
