import { useEffect, useState } from 'preact/hooks';
import type { TimelineEntry } from '../../../../src/supervision/views.ts';
import type { Api } from '../api.ts';
import { t } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/index.ts';
import { Dialog } from './Dialog.tsx';

const KINDS = ['created', 'queued', 'offer', 'accepted', 'rejected', 'timeout', 'rescinded', 'declined', 'answered', 'abandoned', 'parked', 'closed', 'ended', 'message', 'note', 'evaluation'] as const;

/** A conversation's whole timeline (`GET /v1/interactions/:id/timeline`), routing decisions included. */
export function TimelineDialog({ api, conversationId, onClose }: { api: Api; conversationId: string; onClose: () => void }) {
  const [entries, setEntries] = useState<TimelineEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api.timeline(conversationId).then(
      (r) => setEntries(r.entries),
      (err: unknown) => setError((err as Error).message),
    );
  }, [api, conversationId]);
  return (
    <Dialog id="timeline" title={t('timeline.title')} onClose={onClose}>
      {error && (
        <p role="alert" class="error">
          {t('error.generic', { reason: error })}
        </p>
      )}
      {entries === undefined && !error && <p role="status">{t('timeline.loading')}</p>}
      {entries && (
        <ol class="timeline">
          {entries.map((e, i) => (
            <li key={i} data-kind={e.kind}>
              <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> <strong>{kindLabel(e.kind)}</strong> {details(e)}
            </li>
          ))}
        </ol>
      )}
      <form method="dialog">
        <button type="submit">{t('timeline.close')}</button>
      </form>
    </Dialog>
  );
}

function kindLabel(kind: string): string {
  return (KINDS as readonly string[]).includes(kind) ? t(`timeline.kind.${kind}` as MessageKey) : kind;
}

function details(e: TimelineEntry) {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (e.kind) {
    case 'created':
      return [t('timeline.created', { channel: text(e.channel), direction: e.direction === 'outbound' ? t('interactions.outbound') : t('interactions.inbound') }), e.startedBy === 'agent' ? t('timeline.startedByAgent') : ''].filter(Boolean).join(', ');
    case 'queued':
      return t('timeline.queued', { queue: text(e.queue), cause: text(e.cause) });
    case 'offer':
      return (
        <>
          {t('timeline.offer', { agent: text(e.agentId), queue: text(e.queue) })}{' '}
          {transferOf(e.transferredBy)}
          <span class="reason">
            {t('timeline.reason')} <code>{describeReason(e.reason)}</code>
          </span>
        </>
      );
    case 'message':
      return `${e.direction === 'inbound' ? t('timeline.fromCustomer') : t('timeline.fromAgent', { agent: text(e.agentId) || '—' })}: ${text(e.text)}`;
    case 'ended':
      // After a transfer a conversation has several: each names whose part ended.
      return [text(e.agentId), e.wrapUpCode ? t('timeline.wrapUp', { code: text(e.wrapUpCode) }) : ''].filter(Boolean).join(', ');
    case 'note':
      return `${text(e.author)}: ${text(e.text)}`;
    case 'evaluation':
      return t('timeline.evaluation', { evaluator: text(e.evaluator), agent: text(e.agentId), score: String(e.score) });
    default:
      return text(e.agentId);
  }
}

/** "Transferred by alice: “wants a refund”" for an offer a transfer brought. */
function transferOf(source: unknown) {
  if (typeof source !== 'object' || source === null) return null;
  const { agentId, note } = source as { agentId?: unknown; note?: unknown };
  return (
    <span class="transfer">
      {t('timeline.transferredBy', { agent: typeof agentId === 'string' ? agentId : '—' })}
      {typeof note === 'string' && (
        <>
          {' '}
          <q>{note}</q>
        </>
      )}{' '}
    </span>
  );
}

/** The scheduler's explanation as `method: longest-idle, candidates: 3, score: 12`, the method first. */
function describeReason(reason: unknown): string {
  if (typeof reason !== 'object' || reason === null) return String(reason);
  const entries = Object.entries(reason as Record<string, unknown>).sort(([a], [b]) => (a === 'method' ? -1 : b === 'method' ? 1 : 0));
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}
