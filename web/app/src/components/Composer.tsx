import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Attachment, RichContent } from '../../../../src/contract/index.ts';
import { channelLimits } from '../channel-limits.ts';
import type { DeskConversation, DeskStore } from '../desk-store.ts';
import { formatDuration, language, t } from '../i18n/index.ts';
import { useNow } from '../store.ts';
import type { Api } from '../api.ts';
import { CannedPicker } from './CannedPicker.tsx';
import { FileUploadList, useFileUploads } from './FileUploads.tsx';
import { formatSize, formatTypes, uploadLimitsOf } from '../upload-limits.ts';
import { TypingSignal } from '../typing-signal.ts';

const EMOJI = ['😀', '🙂', '😉', '😊', '🙏', '👍', '👋', '🎉', '✅', '❤️', '😔', '🤔', '📦', '📞', '⏰', '💳'];

type Panel = 'none' | 'emoji' | 'attach' | 'canned';

/** Guesses a content type from a URL's extension (the channel needs one; providers sniff the rest). */
function contentTypeOf(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  const types: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf' };
  return (ext && types[ext]) ?? 'application/octet-stream';
}

/**
 * The reply box: text, emoji, attachments (files picked, dropped or pasted, and links),
 * quick replies and canned responses, with the channel's limits shown as the agent writes.
 */
export function Composer({ desk, api, conversation, agentName }: { desk: DeskStore; api: Api; conversation: DeskConversation; agentName: string }) {
  const [text, setText] = useState('');
  const [quickReplies, setQuickReplies] = useState('');
  const [showQuick, setShowQuick] = useState(false);
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [panel, setPanel] = useState<Panel>('none');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const uploadLimits = uploadLimitsOf(conversation.channelType);
  const files = useFileUploads(api, conversation.id, uploadLimits);
  const typing = useMemo(() => new TypingSignal((on) => desk.typing(conversation.id, on)), [desk, conversation.id]);
  useEffect(() => () => typing.stopped(), [typing]);
  const now = useNow(30_000);
  const limits = useMemo(
    () => channelLimits(conversation.channelType, conversation.view?.channel, conversation.messages, text, now),
    [conversation.channelType, conversation.view?.channel, conversation.messages, text, now],
  );
  const options = quickReplies.split('\n').map((o) => o.trim()).filter(Boolean);

  const insert = (snippet: string) => {
    const el = textarea.current;
    const at = el?.selectionStart ?? text.length;
    setText(text.slice(0, at) + snippet + text.slice(el?.selectionEnd ?? at));
    setPanel('none');
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + snippet.length, at + snippet.length);
    });
  };

  const send = async (event?: Event) => {
    event?.preventDefault();
    const body = text.trim();
    const all = [...attachments, ...files.attachments];
    if ((!body && all.length === 0) || files.pending) return;
    const content: RichContent[] | undefined =
      showQuick && options.length > 0 && body ? [{ type: 'quickReplies', text: body, options: options.map((o) => ({ text: o, payload: o })) }] : undefined;
    setBusy(true);
    typing.stopped();
    try {
      await desk.send(conversation.id, {
        ...(body && { text: body }),
        ...(all.length > 0 && { attachments: all }),
        ...(content && { content }),
      });
      setText('');
      setAttachments([]);
      files.clear();
      setQuickReplies('');
      setShowQuick(false);
      setError(undefined);
      textarea.current?.focus();
    } catch (err) {
      setError(t('composer.failed', { reason: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) void send(event);
  };
  const onInput = (value: string) => {
    setText(value);
    if (value) typing.keyed();
    else typing.stopped();
    // "/" at the start of an empty reply opens the library, as in most desktops.
    if (value === '/') setPanel('canned');
  };

  // A pasted screenshot is attached, not inserted as text.
  const onPaste = (event: ClipboardEvent) => {
    const images = [...(event.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
    if (images.length === 0) return;
    event.preventDefault();
    files.add(images);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer?.files.length) files.add(event.dataTransfer.files);
  };

  return (
    <form
      class={dragging ? 'composer dragging' : 'composer'}
      onSubmit={(e) => void send(e)}
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <Limits limits={limits} now={now} text={text} quickReplies={showQuick ? options.length : 0} files={uploadLimits} />
      {dragging && <p class="drop-hint">{t('composer.dropHint')}</p>}
      <label id="composer-label" for="composer-text">
        {t('composer.label')}
      </label>
      <textarea
        id="composer-text"
        ref={textarea}
        rows={3}
        value={text}
        placeholder={t('composer.placeholder')}
        disabled={!limits.canSend}
        onInput={(e) => onInput((e.currentTarget).value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
      />
      <FileUploadList uploads={files.uploads} onRemove={files.remove} />
      {attachments.length > 0 && (
        <ul class="attachments">
          {attachments.map((a) => (
            <li key={a.url}>
              {a.filename ?? a.url}{' '}
              <button type="button" onClick={() => setAttachments(attachments.filter((x) => x !== a))}>
                {t('composer.attachmentRemove', { name: a.filename ?? a.url })}
              </button>
            </li>
          ))}
        </ul>
      )}
      {showQuick && (
        <label class="quick-field">
          {t('composer.quickRepliesField')}
          <textarea rows={3} value={quickReplies} onInput={(e) => setQuickReplies((e.currentTarget).value)} />
        </label>
      )}
      <div class="composer-tools" role="toolbar" aria-label={t('composer.tools')}>
        <button type="button" aria-expanded={panel === 'canned'} aria-controls="composer-panel" onClick={() => setPanel(panel === 'canned' ? 'none' : 'canned')}>
          {t('composer.canned')}
        </button>
        <button type="button" aria-pressed={showQuick} onClick={() => setShowQuick(!showQuick)} disabled={limits.quickRepliesMax === 0}>
          {t('composer.quickReplies')}
        </button>
        <button type="button" aria-expanded={panel === 'emoji'} aria-controls="composer-panel" onClick={() => setPanel(panel === 'emoji' ? 'none' : 'emoji')}>
          {t('composer.emoji')}
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} disabled={!limits.canSend || !uploadLimits}>
          {t('composer.attachFile')}
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          class="visually-hidden"
          // Reached through the Attach file button, which opens its picker.
          tabIndex={-1}
          aria-hidden="true"
          accept={uploadLimits?.types.join(',')}
          onChange={(e) => {
            const input = e.currentTarget;
            if (input.files) files.add(input.files);
            // The same file may be picked again after a removal.
            input.value = '';
          }}
        />
        <button type="button" aria-expanded={panel === 'attach'} aria-controls="composer-panel" onClick={() => setPanel(panel === 'attach' ? 'none' : 'attach')}>
          {t('composer.attach')}
        </button>
        <button type="submit" class="primary" disabled={busy || files.pending || !limits.canSend}>
          {t('composer.send')}
        </button>
      </div>
      <div id="composer-panel">
        {panel === 'emoji' && (
          <div role="group" aria-label={t('composer.emojiPicker')} class="emoji-grid">
            {EMOJI.map((e) => (
              <button type="button" key={e} onClick={() => insert(e)}>
                {e}
              </button>
            ))}
          </div>
        )}
        {panel === 'attach' && <AttachmentField onAdd={(a) => (setAttachments([...attachments, a]), setPanel('none'))} />}
        {panel === 'canned' && (
          <CannedPicker
            api={api}
            queue={conversation.view?.queue ?? undefined}
            scope={{
              customer: { name: conversation.customerName ?? '' },
              agent: { name: agentName, id: desk.agentId },
              conversation: { queue: conversation.view?.queue ?? '', channel: conversation.view?.channel ?? '' },
            }}
            onPick={(body) => {
              setText('');
              insert(body);
            }}
            onClose={() => {
              setPanel('none');
              textarea.current?.focus();
            }}
          />
        )}
      </div>
    </form>
  );
}

function AttachmentField({ onAdd }: { onAdd: (a: Attachment) => void }) {
  const [url, setUrl] = useState('');
  const add = () => {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return;
      onAdd({ url: parsed.href, contentType: contentTypeOf(parsed.pathname), filename: parsed.pathname.split('/').pop() || parsed.hostname });
      setUrl('');
    } catch {
      // Not a URL: the field says so through its `type=url` validity.
    }
  };
  return (
    <div class="attach-field">
      <label>
        {t('composer.attachmentUrl')}
        <input type="url" value={url} onInput={(e) => setUrl((e.currentTarget).value)} onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), add())} />
      </label>
      <button type="button" onClick={add}>
        {t('composer.attachmentAdd')}
      </button>
    </div>
  );
}

function Limits({ limits, now, text, quickReplies, files }: { limits: ReturnType<typeof channelLimits>; now: number; text: string; quickReplies: number; files: ReturnType<typeof uploadLimitsOf> }) {
  return (
    <ul class="limits" aria-label={t('limits.label')}>
      <li>{t('limits.characters', { count: text.length, max: limits.maxTextLength })}</li>
      {files && <li>{t(limits.attachments ? 'limits.files' : 'limits.filesAsLinks', { max: formatSize(files.maxBytes, language()), types: formatTypes(files.types) })}</li>}
      {limits.sms && <li>{t('limits.segments', { segments: limits.sms.segments, encoding: limits.sms.encoding })}</li>}
      {limits.windowClosesAt !== undefined &&
        (limits.windowClosesAt > now ? (
          <li>{t('limits.window', { remaining: formatDuration(limits.windowClosesAt - now) })}</li>
        ) : (
          <li class="warning">{t('limits.windowClosed')}</li>
        ))}
      {limits.replies &&
        (limits.replies.count < limits.replies.max ? (
          <li>{t('limits.replies', { count: limits.replies.count, max: limits.replies.max })}</li>
        ) : (
          <li class="warning">{t('limits.repliesExhausted')}</li>
        ))}
      {quickReplies > limits.quickRepliesMax && <li class="warning">{t('limits.quickRepliesMax', { max: limits.quickRepliesMax })}</li>}
    </ul>
  );
}
