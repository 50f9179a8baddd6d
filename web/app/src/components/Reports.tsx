import { useState } from 'preact/hooks';
import { ApiError, ReportKinds } from '../api.ts';
import type { Api, ReportKind, ReportRequest, ReportView } from '../api.ts';
import { field } from '../form-field.ts';
import { t, tOr } from '../i18n/index.ts';
import { daysBefore, nextDay, startOfDay, today } from '../report-period.ts';
import { saveFile } from '../save-file.ts';
import { chooseTimeZone, chosenTimeZone } from '../time-zone-choice.ts';

const Granularities = ['15m', 'hour', 'day', 'total'] as const;

function cell(value: string | number | null | undefined | Record<string, number>): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return Object.entries(value).map(([k, n]) => `${k}: ${n.toLocaleString()}`).join(', ') || '—';
  return typeof value === 'number' ? value.toLocaleString() : value;
}

/**
 * Historical reports (docs/reports.md): a report, the days it covers in a time zone and
 * its granularity; the rows as a table, and the same rows as a CSV download.
 */
export function Reports({ api }: { api: Api }) {
  const [report, setReport] = useState<ReportView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const requestOf = (form: HTMLFormElement): { kind: ReportKind; query: ReportRequest } => {
    const data = new FormData(form);
    const timeZone = field(data, 'timeZone').trim() || 'UTC';
    // The interactions view reads its from/until in the same zone.
    chooseTimeZone(timeZone);
    return {
      kind: field(data, 'kind') as ReportKind,
      query: {
        from: startOfDay(field(data, 'from'), timeZone),
        to: startOfDay(nextDay(field(data, 'to')), timeZone),
        granularity: field(data, 'granularity') as ReportRequest['granularity'],
        timeZone,
      },
    };
  };
  const run = async (form: HTMLFormElement, csv: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const { kind, query } = requestOf(form);
      if (csv) {
        const { blob, filename } = await api.reportCsv(kind, query);
        saveFile(blob, filename);
      } else setReport(await api.report(kind, query));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const columns = report?.rows[0] ? Object.keys(report.rows[0]).filter((c) => c !== 'interval') : [];
  const end = today(chosenTimeZone());
  return (
    <section class="live reports" aria-labelledby="reports-heading">
      <h2 id="reports-heading">{t('reports.heading')}</h2>
      <form
        class="report-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(e.currentTarget, false);
        }}
      >
        <div class="field">
          <label for="report-kind">{t('reports.kind')}</label>
          <select id="report-kind" name="kind">
            {ReportKinds.map((k) => (
              <option key={k} value={k}>
                {t(`reports.kind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="report-from">{t('reports.from')}</label>
          <input id="report-from" name="from" type="date" required value={daysBefore(end, 6)} />
        </div>
        <div class="field">
          <label for="report-to">{t('reports.to')}</label>
          <input id="report-to" name="to" type="date" required value={end} />
        </div>
        <div class="field">
          <label for="report-granularity">{t('reports.granularity')}</label>
          <select id="report-granularity" name="granularity">
            {Granularities.map((g) => (
              <option key={g} value={g} selected={g === 'day'}>
                {t(`reports.granularity.${g}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="report-timeZone">{t('reports.timeZone')}</label>
          <input id="report-timeZone" name="timeZone" value={chosenTimeZone()} required />
        </div>
        <button type="submit" disabled={busy}>
          {t('reports.show')}
        </button>
        <button type="button" disabled={busy} onClick={(e) => void run((e.currentTarget).form!, true)}>
          {t('reports.download')}
        </button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {report && (
        <table>
          <caption>{t('reports.caption', { report: tOr(`reports.kind.${report.report}`, report.report), rows: report.rows.length })}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col">
                  {tOr(`reports.column.${c}`, c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}>{cell(row[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report?.report === 'campaigns' && <p class="help">{t('reports.campaignsHelp')}</p>}
      {report && report.rows.length === 0 && <p>{t('reports.empty')}</p>}
    </section>
  );
}
