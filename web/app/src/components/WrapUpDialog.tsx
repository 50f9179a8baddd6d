import { field } from '../form-field.ts';
import { useState } from 'preact/hooks';
import type { QueueSummaryView } from '../../../../src/gateway/desktop-views.ts';
import { t } from '../i18n/index.ts';
import { Dialog } from './Dialog.tsx';

/** Ends the agent's interaction with a wrap-up code of the queue (by its label) and notes. */
export function WrapUpDialog({ queue, onWrapUp, onClose }: { queue: QueueSummaryView | undefined; onWrapUp: (code: string | undefined, notes: string) => Promise<void>; onClose: () => void }) {
  const [error, setError] = useState<string>();
  const codes = queue?.wrapUp.codes ?? [];
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const code = field(form, 'code');
    try {
      await onWrapUp(code || undefined, field(form, 'notes'));
      onClose();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Dialog id="wrap-up" title={t('wrapUp.heading')} onClose={onClose}>
      <form method="dialog" onSubmit={(e) => void submit(e)}>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <label>
          {t('wrapUp.code')}
          <select name="code" required={queue?.wrapUp.required && codes.length > 0}>
            {!(queue?.wrapUp.required && codes.length > 0) && <option value="">{t('wrapUp.noCode')}</option>}
            {codes.map((c) => (
              <option key={c.code} value={c.code}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('wrapUp.notes')}
          <textarea name="notes" rows={4} maxLength={4000} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            {t('wrapUp.submit')}
          </button>
          <button type="button" onClick={onClose}>
            {t('wrapUp.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
