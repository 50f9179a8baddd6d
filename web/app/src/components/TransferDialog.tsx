import { field } from '../form-field.ts';
import { useState } from 'preact/hooks';
import type { DeskState } from '../desk-store.ts';
import { t } from '../i18n/index.ts';
import { Dialog } from './Dialog.tsx';
import { TRANSFER_NOTE_MAX } from '../../../../src/contract/transfer-note.ts';

/** A blind transfer to a queue or to one agent (docs/agent-api.md §4). */
export function TransferDialog({ state, self, onTransfer, onClose }: { state: DeskState; self: string; onTransfer: (to: { queue: string } | { agentId: string }, note: string) => Promise<void>; onClose: () => void }) {
  const [kind, setKind] = useState<'queue' | 'agent'>('queue');
  const [error, setError] = useState<string>();
  const agents = state.colleagues.filter((a) => a.id !== self);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    try {
      await onTransfer(kind === 'queue' ? { queue: field(form, 'queue') } : { agentId: field(form, 'agentId') }, field(form, 'note'));
      onClose();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <Dialog id="transfer" title={t('transfer.heading')} onClose={onClose}>
      <form method="dialog" onSubmit={(e) => void submit(e)}>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <fieldset>
          <legend>{t('transfer.heading')}</legend>
          <label>
            <input type="radio" name="kind" value="queue" checked={kind === 'queue'} onChange={() => setKind('queue')} /> {t('transfer.toQueue')}
          </label>
          <label>
            <input type="radio" name="kind" value="agent" checked={kind === 'agent'} onChange={() => setKind('agent')} /> {t('transfer.toAgent')}
          </label>
        </fieldset>
        {kind === 'queue' ? (
          <>
            <label for="transfer-queue">{t('transfer.queue')}</label>
            <select id="transfer-queue" name="queue" required>
              {state.queues.map((q) => (
                <option key={q.name} value={q.name}>
                  {q.name}
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <label for="transfer-agent">{t('transfer.agent')}</label>
            <select id="transfer-agent" name="agentId" required>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({t(`presence.${a.presence}`)})
                </option>
              ))}
            </select>
          </>
        )}
        <label for="transfer-note">{t('transfer.note')}</label>
        <textarea id="transfer-note" name="note" rows={3} maxLength={TRANSFER_NOTE_MAX} aria-describedby="transfer-note-help" />
        <p id="transfer-note-help" class="help">
          {t('transfer.noteHelp')}
        </p>
        <div class="actions">
          <button type="submit" class="primary">
            {t('transfer.submit')}
          </button>
          <button type="button" onClick={onClose}>
            {t('transfer.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
