import { useRef, useState } from 'preact/hooks';
import type { UploadedAttachment } from './api.ts';
import { AttachIcon } from './icons.tsx';
import type { ConversationStore } from './conversation-store.ts';
import type { Strings } from './i18n.ts';

/** The text field, the attach button and the send button; Enter sends. */
export function Composer({ store, t, inputRef }: { store: ConversationStore; t: Strings; inputRef: { current: HTMLInputElement | null } }) {
  const [text, setText] = useState('');
  const [attachments, setAttachments] = useState<UploadedAttachment[]>([]);
  const [uploading, setUploading] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);

  const submit = (event: Event) => {
    event.preventDefault();
    if (!text.trim() && attachments.length === 0) return;
    store.sendText(text, attachments);
    setText('');
    setAttachments([]);
  };

  const attach = async () => {
    const file = fileRef.current?.files?.[0];
    if (!file) return;
    setUploading(true);
    const uploaded = await store.upload(file);
    setUploading(false);
    if (fileRef.current) fileRef.current.value = '';
    if (uploaded) setAttachments((list) => [...list, uploaded]);
  };

  return (
    <form class="composer" onSubmit={submit}>
      {attachments.length > 0 && (
        <ul class="chips">
          {attachments.map((a) => (
            <li key={a.id}>{a.filename ?? t.attachment}</li>
          ))}
        </ul>
      )}
      <label class="sr-only" for="parley-input">
        {t.placeholder}
      </label>
      <input
        id="parley-input"
        ref={inputRef}
        type="text"
        autoComplete="off"
        maxLength={4096}
        placeholder={t.placeholder}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          store.typed();
        }}
      />
      <label class="attach" title={t.attach}>
        <span class="sr-only">{t.attach}</span>
        <AttachIcon />
        <input ref={fileRef} type="file" class="file" accept="image/*,application/pdf,text/plain" disabled={uploading} onChange={() => void attach()} />
      </label>
      <button type="submit" disabled={uploading}>
        {t.send}
      </button>
    </form>
  );
}
