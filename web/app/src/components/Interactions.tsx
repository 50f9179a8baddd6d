import { useEffect, useState } from 'preact/hooks';
import type { Interaction } from '../../../../src/supervision/views.ts';
import type { Api, InteractionFilters } from '../api.ts';
import { t } from '../i18n/index.ts';
import { saveFile } from '../save-file.ts';
import { TimelineDialog } from './TimelineDialog.tsx';

const FIELDS = ['channel', 'queue', 'agent', 'wrapUpCode', 'campaign', 'customer'] as const;

/** The interactions view: search and filter, page on, export the filtered rows as CSV, open a timeline. */
export function Interactions({ api }: { api: Api }) {
  const [filters, setFilters] = useState<InteractionFilters>({});
  const [applied, setApplied] = useState<InteractionFilters>({});
  const [rows, setRows] = useState<Interaction[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<string | undefined>();

  const search = async (f: InteractionFilters, cursor?: string) => {
    setError(undefined);
    try {
      const page = await api.interactions(f, cursor);
      const all = cursor ? [...rows, ...page.interactions] : page.interactions;
      setRows(all);
      setNext(page.nextCursor);
      setApplied(f);
      setStatus(t('interactions.count', { count: all.length }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void search({});
    // Once, on opening the screen.
  }, [api]);

  const exportCsv = async () => {
    try {
      const { blob, filename } = await api.interactionsCsv(applied);
      saveFile(blob, filename);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const set = (name: keyof InteractionFilters) => (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value });
  // <input type="date"> gives a local day: the range runs from its midnight to the next.
  const day = (value: string | undefined, plus = 0) => (value ? new Date(new Date(`${value}T00:00`).getTime() + plus * 86_400_000).toISOString() : undefined);

  return (
    <section class="interactions" aria-labelledby="interactions-heading">
      <h2 id="interactions-heading">{t('interactions.heading')}</h2>
      <form
        class="filters"
        aria-label={t('interactions.filters')}
        onSubmit={(e) => {
          e.preventDefault();
          void search({ ...filters, from: day(filters.from), to: day(filters.to, 1) });
        }}
      >
        <label>
          {t('interactions.from')} <input type="date" value={filters.from ?? ''} onInput={set('from')} />
        </label>
        <label>
          {t('interactions.to')} <input type="date" value={filters.to ?? ''} onInput={set('to')} />
        </label>
        {FIELDS.map((name) => (
          <label key={name}>
            {t(`interactions.${name}`)} <input type="text" value={filters[name] ?? ''} onInput={set(name)} />
          </label>
        ))}
        <label>
          {t('interactions.direction')}{' '}
          <select value={filters.direction ?? ''} onChange={set('direction')}>
            <option value="">{t('interactions.any')}</option>
            <option value="inbound">{t('interactions.inbound')}</option>
            <option value="outbound">{t('interactions.outbound')}</option>
          </select>
        </label>
        <button type="submit">{t('interactions.search')}</button>
        <button type="button" onClick={() => void exportCsv()}>
          {t('interactions.export')}
        </button>
      </form>
      <p role="status" class="muted">
        {status}
      </p>
      {error && (
        <p role="alert" class="error">
          {t('error.generic', { reason: error })}
        </p>
      )}
      <table aria-labelledby="interactions-heading">
        <thead>
          <tr>
            <th scope="col">{t('interactions.started')}</th>
            <th scope="col">{t('interactions.direction')}</th>
            <th scope="col">{t('interactions.channel')}</th>
            <th scope="col">{t('interactions.queue')}</th>
            <th scope="col">{t('interactions.customer')}</th>
            <th scope="col">{t('interactions.agents')}</th>
            <th scope="col">{t('interactions.wrapUpCode')}</th>
            <th scope="col">{t('interactions.status')}</th>
            <th scope="col">{t('interactions.timeline')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-id={r.id}>
              <td>
                <time dateTime={r.startedAt}>{new Date(r.startedAt).toLocaleString()}</time>
              </td>
              <td>{t(`interactions.${r.direction}`)}</td>
              <td>{r.channel}</td>
              <td>{r.queue ?? '—'}</td>
              <td>{r.customerName ?? r.address ?? r.customerId ?? '—'}</td>
              <td>{r.agents.join(', ') || '—'}</td>
              <td>{r.wrapUpCode ?? '—'}</td>
              <td>{r.status}</td>
              <td>
                {r.kind === 'conversation' ? (
                  <button type="button" onClick={() => setOpen(r.conversationId)} aria-label={t('interactions.openTimeline', { who: r.customerName ?? r.channel })}>
                    {t('interactions.open')}
                  </button>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => void search(applied, next)}>
          {t('interactions.more')}
        </button>
      )}
      {open && <TimelineDialog api={api} conversationId={open} onClose={() => setOpen(undefined)} />}
    </section>
  );
}
