import { useState } from 'preact/hooks';
import { startRuleOf } from '../../../../src/conversation/start-rules.ts';
import type { ChannelType } from '../../../../src/contract/index.ts';
import { ApiError, type Api } from '../api.ts';
import type { DeskStore } from '../desk-store.ts';
import { field } from '../form-field.ts';
import { t, type MessageKey } from '../i18n/index.ts';
import { useStore } from '../store.ts';
import { Dialog } from './Dialog.tsx';
import { TemplateFields, templateRequest, type TemplateChoice } from './TemplateFields.tsx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the agent typed in "Customer": a customer id (from the history or the interactions view), an e-mail address, a phone number, or a channel's own id. */
export function recipientOf(input: string): ({ customerId: string } | { to: { id: string; idType: 'phone' | 'email' | 'opaque' } }) {
  const value = input.trim();
  if (UUID.test(value)) return { customerId: value };
  if (value.includes('@')) return { to: { id: value, idType: 'email' } };
  if (/^\+?[\d\s().-]{7,}$/.test(value)) return { to: { id: value.replace(/[\s().-]/g, ''), idType: 'phone' } };
  return { to: { id: value, idType: 'opaque' } };
}

/** The refusals the server explains with a code of its own (docs/agent-api.md, starting a conversation). */
const explained = new Set(['outboundNotAllowed', 'customerOptedOut', 'outsideWindow', 'noCustomerAddress', 'conversationInProgress', 'agentAtCapacity', 'unknownTemplate', 'invalidTemplateParameters', 'templateNotSupported']);

/**
 * "New message": the agent starts a conversation with a customer on a channel that lets
 * agents write first. The conversation then arrives in the inbox like any other (the
 * server's `conversation.assigned`), and is opened.
 */
export function NewMessage({ api, desk }: { api: Api; desk: DeskStore }) {
  const state = useStore(desk);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [sending, setSending] = useState(false);
  const channels = state.channels.filter((c) => startRuleOf(c.type as ChannelType)?.kind !== 'never');
  const [channelName, setChannelName] = useState<string>();
  const channel = channels.find((c) => c.name === channelName) ?? channels[0];
  // WhatsApp: an approved template, the only way to reach a customer who has not written in 24 h.
  const templates = channel?.templates ?? [];
  const [useTemplate, setUseTemplate] = useState(false);
  const [choice, setChoice] = useState<TemplateChoice>({ index: 0, parameters: [] });
  const withTemplate = useTemplate && templates.length > 0;

  // Each new message starts afresh: the first channel, free text.
  const openDialog = () => {
    setError(undefined);
    setDone(undefined);
    setChannelName(undefined);
    setUseTemplate(false);
    setChoice({ index: 0, parameters: [] });
    setOpen(true);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const to = field(form, 'to');
    setSending(true);
    try {
      const template = withTemplate ? templateRequest(templates, choice) : undefined;
      const first = template ? { template } : { text: field(form, 'text') };
      const started = await api.startConversation({ channel: field(form, 'channel'), ...first, ...recipientOf(to) });
      desk.select(started.conversationId);
      setDone(t('newMessage.started', { to: to.trim() }));
      setOpen(false);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setError(explained.has(code) ? t(`newMessage.error.${code}` as MessageKey) : t('error.generic', { reason: (err as Error).message }));
      // Outside the window the answer is a template: offer the channel's at once.
      if (code === 'outsideWindow' && templates.length > 0) setUseTemplate(true);
    } finally {
      setSending(false);
    }
  };

  return (
    <div class="new-message">
      <button type="button" aria-haspopup="dialog" onClick={openDialog}>
        {t('newMessage.open')}
      </button>
      <span role="status">{done}</span>
      {open && (
        <Dialog id="new-message" title={t('newMessage.heading')} onClose={() => setOpen(false)}>
          <form method="dialog" class="new-message-form" onSubmit={(e) => void submit(e)}>
            {error && (
              <p role="alert" class="error">
                {error}
              </p>
            )}
            {channels.length === 0 ? (
              <p>{t('newMessage.noChannel')}</p>
            ) : (
              <>
                <label for="new-message-channel">{t('newMessage.channel')}</label>
                <select
                  id="new-message-channel"
                  name="channel"
                  required
                  value={channel?.name}
                  onChange={(e) => (setChannelName(e.currentTarget.value), setChoice({ index: 0, parameters: [] }))}
                >
                  {channels.map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name} ({c.type})
                    </option>
                  ))}
                </select>
                <label for="new-message-to">{t('newMessage.to')}</label>
                <input id="new-message-to" name="to" required autocomplete="off" aria-describedby="new-message-to-hint" />
                <small id="new-message-to-hint">{t('newMessage.toHint')}</small>
                {templates.length > 0 && (
                  <label class="use-template">
                    <input type="checkbox" checked={useTemplate} onChange={(e) => setUseTemplate(e.currentTarget.checked)} />
                    {t('newMessage.useTemplate')}
                  </label>
                )}
                {withTemplate ? (
                  <TemplateFields templates={templates} choice={choice} onChange={setChoice} />
                ) : (
                  <>
                    <label for="new-message-text">{t('newMessage.text')}</label>
                    <textarea id="new-message-text" name="text" required rows={4} />
                  </>
                )}
              </>
            )}
            <div class="actions">
              {channels.length > 0 && (
                <button type="submit" class="primary" disabled={sending}>
                  {t('newMessage.submit')}
                </button>
              )}
              <button type="button" onClick={() => setOpen(false)}>
                {t('newMessage.cancel')}
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </div>
  );
}
