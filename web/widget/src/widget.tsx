import { useEffect, useRef, useState } from 'preact/hooks';
import { Composer } from './composer.tsx';
import { ChatIcon } from './icons.tsx';
import type { ConversationStore } from './conversation-store.ts';
import type { Locale, Strings } from './i18n.ts';
import { MessageList } from './message-list.tsx';
import { QuickReplies } from './rich-content.tsx';
import { useWidgetState } from './use-store.ts';

interface Props {
  store: ConversationStore;
  t: Strings;
  locale: Locale;
  /** A conversation exists from an earlier visit: resume it at once (and open the panel if it was open). */
  resume: boolean;
}

/** The launcher button and the chat panel (a non-modal dialog; Escape closes it and returns focus). */
export function Widget({ store, t, locale, resume }: Props) {
  const state = useWidgetState(store);
  const [open, setOpen] = useState(false);
  const launcher = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (resume) void store.start();
  }, [store, resume]);
  useEffect(() => {
    if (open) input.current?.focus();
  }, [open]);

  const toggle = () => {
    if (!open) void store.start();
    store.setVisible(!open);
    setOpen(!open);
  };
  const close = () => {
    store.setVisible(false);
    setOpen(false);
    launcher.current?.focus();
  };
  const postback = (text: string, payload: string) => store.postback(text, payload);
  const answerForm = (payload: string, values: Record<string, string>) => store.answerForm(payload, values);
  const offlineText = state.availability && !state.availability.online ? (state.availability.offlineMessage?.[locale] ?? state.availability.offlineMessage?.en ?? t.offline) : undefined;

  return (
    <div class="root" lang={locale}>
      {open && (
        <section id="parley-panel" class="panel" role="dialog" aria-labelledby="parley-title" onKeyDown={(e) => e.key === 'Escape' && close()}>
          <header>
            <h2 id="parley-title">{t.title}</h2>
            <button type="button" class="close" aria-label={t.close} onClick={close}>
              <span aria-hidden="true">×</span>
            </button>
          </header>
          {offlineText && (
            <p class="notice offline" role="status">
              {offlineText}
            </p>
          )}
          {state.reconnecting && (
            <p class="notice" role="status">
              {t.reconnecting}
            </p>
          )}
          <MessageList messages={state.messages} t={t} onPostback={postback} onForm={answerForm} />
          <p class="typing" role="status">
            {state.agentTyping ? t.agentTyping : ''}
          </p>
          <QuickReplies messages={state.messages} t={t} onPostback={postback} />
          {state.uploadFailed && (
            <p class="notice" role="alert">
              {t.uploadFailed}
            </p>
          )}
          <Composer store={store} t={t} inputRef={input} />
        </section>
      )}
      <button ref={launcher} type="button" class="launcher" aria-expanded={open} aria-controls="parley-panel" onClick={toggle}>
        <ChatIcon />
        <span class="sr-only">{open ? t.close : t.open}</span>
        {state.unread > 0 && (
          <span class="badge">
            {state.unread}
            <span class="sr-only"> {t.unread}</span>
          </span>
        )}
      </button>
    </div>
  );
}
