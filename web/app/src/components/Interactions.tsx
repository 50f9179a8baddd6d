import { useEffect, useState } from 'preact/hooks';
import type { Interaction } from '../../../../src/supervision/views.ts';
import type { Api, InteractionFilters } from '../api.ts';
import { t } from '../i18n/index.ts';
import { saveFile } from '../save-file.ts';
import { chooseTimeZone, chosenTimeZone } from '../time-zone-choice.ts';
import { instantAt, isTimeZone } from '../../../../src/contract/time-zone.ts';
import { TimelineDialog } from './TimelineDialog.tsx';

const FIELDS = ['channel', 'queue', 'agent', 'wrapUpCode', 'campaign', 'customer'] as const;

/**
 * The interactions view: search and filter, page on, export the filtered rows as CSV, open a
 * timeline. From and until are minutes on the clock of the chosen time zone (the reports'
 * one), sent as instants; the table and the CSV's local columns use that zone too.
 */
export function Interactions({ api }: { api: Api }) {
  const [filters, setFilters] = useState<InteractionFilters>({});
  const [zone, setZone] = useState(chosenTimeZone);
  const [applied, setApplied] = useState<InteractionFilters>({ timeZone: zone });
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
    void search({ timeZone: zone });
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
  /** The filters as the API takes them (instants), or why they cannot be: said before asking the server. */
  const query = (): InteractionFilters | string => {
    const timeZone = zone.trim();
    if (!isTimeZone(timeZone)) return t('interactions.badTimeZone', { zone: timeZone });
    const instant = (local: string | undefined) => (local ? instantAt(local, timeZone).toISOString() : undefined);
    const from = instant(filters.from);
    const to = instant(filters.to);
    if (from && to && from >= to) return t('interactions.inverted');
    chooseTimeZone(timeZone);
    return { ...filters, from, to, timeZone };
  };
  const shownIn = applied.timeZone && isTimeZone(applied.timeZone) ? applied.timeZone : undefined;

  return (
    <section class="interactions" aria-labelledby="interactions-heading">
      <h2 id="interactions-heading">{t('interactions.heading')}</h2>
      <form
        class="filters"
        aria-label={t('interactions.filters')}
        onSubmit={(e) => {
          e.preventDefault();
          const q = query();
          if (typeof q === 'string') setError(q);
          else void search(q);
        }}
      >
        <label>
          {t('interactions.from')} <input type="datetime-local" step={60} value={filters.from ?? ''} onInput={set('from')} aria-describedby="interactions-range-help" />
        </label>
        <label>
          {t('interactions.until')} <input type="datetime-local" step={60} value={filters.to ?? ''} onInput={set('to')} aria-describedby="interactions-range-help" />
        </label>
        <label>
          {t('interactions.timeZone')} <input type="text" value={zone} onInput={(e) => setZone(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </label>
        <p id="interactions-range-help" class="help">
          {t('interactions.rangeHelp')}
        </p>
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
                <time dateTime={r.startedAt}>{new Date(r.startedAt).toLocaleString(undefined, { timeZone: shownIn })}</time>
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
