import { field } from '../form-field.ts';
import { useEffect, useState } from 'preact/hooks';
import type { CannedResponseView, QueueSummaryView } from '../../../../src/gateway/desktop-views.ts';
import type { Api, CannedResponseInput } from '../api.ts';
import { t } from '../i18n/index.ts';
import { isStaff } from '../session.ts';
import type { Session } from '../session.ts';

/**
 * The response library: searchable by everyone; supervisors and admins create, edit and
 * delete responses, tenant-wide or for one queue.
 */
export function Library({ api, session }: { api: Api; session: Session }) {
  const staff = isStaff(session);
  const [query, setQuery] = useState('');
  const [responses, setResponses] = useState<CannedResponseView[]>([]);
  const [queues, setQueues] = useState<QueueSummaryView[]>([]);
  const [editing, setEditing] = useState<CannedResponseView | 'new' | undefined>();
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const [version, setVersion] = useState(0);

  useEffect(() => {
    api.queues().then((r) => setQueues(r.queues), () => setQueues([]));
  }, [api]);
  useEffect(() => {
    api.cannedResponses({ q: query }).then(
      (r) => setResponses(r.responses),
      (err: Error) => setError(err.message),
    );
  }, [api, query, version]);

  const save = async (input: CannedResponseInput) => {
    try {
      if (editing === 'new') await api.createCannedResponse(input);
      else if (editing) await api.replaceCannedResponse(editing.id, input);
      setEditing(undefined);
      setError(undefined);
      setStatus(t('library.saved'));
      setVersion(version + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async (response: CannedResponseView) => {
    try {
      await api.deleteCannedResponse(response.id);
      setStatus(t('library.deleted'));
      setVersion(version + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section class="library" aria-labelledby="library-heading">
      <h2 id="library-heading">{t('library.heading')}</h2>
      <div role="status" class="visually-hidden">
        {status}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!staff && <p class="help">{t('library.readOnly')}</p>}
      <label>
        {t('library.search')}
        <input type="search" value={query} onInput={(e) => setQuery((e.currentTarget).value)} />
      </label>
      {staff && (
        <button type="button" onClick={() => setEditing('new')}>
          {t('library.new')}
        </button>
      )}
      {editing && <ResponseForm queues={queues} initial={editing === 'new' ? undefined : editing} onSave={(i) => void save(i)} onCancel={() => setEditing(undefined)} />}
      {responses.length === 0 ? (
        <p class="empty">{t('library.empty')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('library.shortcut')}</th>
              <th scope="col">{t('library.title')}</th>
              <th scope="col">{t('library.queue')}</th>
              <th scope="col">{t('composer.label')}</th>
              {staff && <th scope="col"><span class="visually-hidden">{t('library.edit', { title: '' })}</span></th>}
            </tr>
          </thead>
          <tbody>
            {responses.map((r) => (
              <tr key={r.id}>
                <td>/{r.shortcut}</td>
                <td>{r.title}</td>
                <td>{r.queue ?? t('library.allQueues')}</td>
                <td class="preview">{r.body}</td>
                {staff && (
                  <td>
                    <button type="button" onClick={() => setEditing(r)} aria-label={t('library.edit', { title: r.title })}>
                      ✎
                    </button>{' '}
                    <button type="button" onClick={() => void remove(r)} aria-label={t('library.delete', { title: r.title })}>
                      🗑
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ResponseForm({ queues, initial, onSave, onCancel }: { queues: QueueSummaryView[]; initial: CannedResponseView | undefined; onSave: (input: CannedResponseInput) => void; onCancel: () => void }) {
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const queue = field(form, 'queue');
    onSave({ shortcut: field(form, 'shortcut'), title: field(form, 'title'), body: field(form, 'body'), queue: queue || null });
  };
  return (
    <form class="response-form" onSubmit={submit} aria-label={initial ? t('library.edit', { title: initial.title }) : t('library.new')}>
      <label>
        {t('library.shortcut')}
        <input name="shortcut" required pattern="[a-z0-9][a-z0-9_\-]{1,31}" defaultValue={initial?.shortcut} autoFocus />
      </label>
      <label>
        {t('library.title')}
        <input name="title" required maxLength={120} defaultValue={initial?.title} />
      </label>
      <label>
        {t('library.queue')}
        <select name="queue" defaultValue={initial?.queue ?? ''}>
          <option value="">{t('library.allQueues')}</option>
          {queues.map((q) => (
            <option key={q.name} value={q.name}>
              {q.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('library.body')}
        <textarea name="body" required rows={4} maxLength={4096} defaultValue={initial?.body} />
      </label>
      <div class="actions">
        <button type="submit" class="primary">
          {t('library.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('wrapUp.cancel')}
        </button>
      </div>
    </form>
  );
}
