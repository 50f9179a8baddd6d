import { useEffect, useRef, useState } from 'preact/hooks';
import type { AttachmentLimits } from '../../../../src/channels/attachment-limits.ts';
import type { Attachment } from '../../../../src/contract/index.ts';
import type { Api } from '../api.ts';
import { language, t } from '../i18n/index.ts';
import { refusalOf } from '../upload-limits.ts';

/** One file the agent added: uploading (progress 0–1), attached, or refused (why). */
export interface FileUpload {
  key: number;
  name: string;
  /** An object URL of the picked image, for its thumbnail (revoked when it leaves). */
  preview: string | undefined;
  progress: number;
  attachment: Attachment | undefined;
  error: string | undefined;
}

let nextKey = 1;

/**
 * The files of the reply being written: each picked, dropped or pasted file is checked
 * against the channel's limits, uploaded at once (so that Send only names the stored
 * files), and kept with its progress or failure.
 */
export function useFileUploads(api: Api, conversationId: string, limits: AttachmentLimits | undefined) {
  const [uploads, setUploads] = useState<FileUpload[]>([]);
  const live = useRef(uploads);
  live.current = uploads;
  const update = (key: number, change: Partial<FileUpload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...change } : u)));
  // Thumbnails' object URLs are released with the composer (a conversation switch).
  useEffect(() => () => live.current.forEach((u) => u.preview && URL.revokeObjectURL(u.preview)), []);

  const add = (files: Iterable<File>) => {
    for (const file of files) {
      const key = nextKey++;
      const refusal = limits ? refusalOf(file, limits, language()) : { key: 'composer.filesUnknownChannel' as const, vars: {} };
      const refused = refusal && t(refusal.key, refusal.vars);
      const preview = !refused && file.type.startsWith('image/') ? URL.createObjectURL(file) : undefined;
      setUploads((all) => [...all, { key, name: file.name || 'file', preview, progress: 0, attachment: undefined, error: refused }]);
      if (refused) continue;
      api.uploadAttachment(conversationId, file, (progress) => update(key, { progress })).then(
        (attachment) => update(key, { attachment, progress: 1 }),
        (err: unknown) => update(key, { error: (err as Error).message }),
      );
    }
  };
  const remove = (key: number) => {
    const gone = live.current.find((u) => u.key === key);
    if (gone?.preview) URL.revokeObjectURL(gone.preview);
    setUploads((all) => all.filter((u) => u.key !== key));
  };
  const clear = () => live.current.forEach((u) => remove(u.key));
  return {
    uploads,
    add,
    remove,
    clear,
    /** Files still on their way: the reply waits for them. */
    pending: uploads.some((u) => !u.attachment && !u.error),
    attachments: uploads.flatMap((u) => (u.attachment ? [u.attachment] : [])),
  };
}

export function FileUploadList({ uploads, onRemove }: { uploads: FileUpload[]; onRemove: (key: number) => void }) {
  if (uploads.length === 0) return null;
  return (
    <ul class="uploads" aria-label={t('composer.uploads')}>
      {uploads.map((u) => (
        <li key={u.key} class={u.error ? 'upload failed' : 'upload'}>
          {u.preview && <img class="thumbnail" src={u.preview} alt={u.name} width={48} height={48} />}
          {!u.error && <span class="upload-name">{u.name}</span>}
          {u.error ? (
            <span role="alert" class="error">
              {t('composer.uploadFailed', { name: u.name, reason: u.error })}
            </span>
          ) : u.attachment ? (
            <span class="upload-done">{t('composer.uploaded')}</span>
          ) : (
            <progress max={1} value={u.progress} aria-label={t('composer.uploading', { name: u.name })} />
          )}
          <button type="button" onClick={() => onRemove(u.key)}>
            {t('composer.attachmentRemove', { name: u.name })}
          </button>
        </li>
      ))}
    </ul>
  );
}
