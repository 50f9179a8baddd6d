import { useEffect, useMemo } from 'preact/hooks';
import type { Api } from '../api.ts';
import { formatDuration, t } from '../i18n/index.ts';
import { QueueActivityStore } from '../queue-activity-store.ts';
import { useNow, useStore } from '../store.ts';

/** Queue activity, live over the supervisor stream: waiting, longest wait, today's counts, service level, agents. */
export function QueueActivityTable({ api }: { api: Api }) {
  const store = useMemo(() => new QueueActivityStore(api), [api]);
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, [store]);
  const state = useStore(store);
  const now = useNow(1000);
  return (
    <>
      <table aria-labelledby="queues-heading">
        <caption id="queues-heading">
          {t('queues.heading')} <span class="muted">{state.connected ? t('queues.live') : t('queues.reconnecting')}</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">{t('queues.queue')}</th>
            <th scope="col">{t('queues.waiting')}</th>
            <th scope="col">{t('queues.longestWait')}</th>
            <th scope="col">{t('queues.offered')}</th>
            <th scope="col">{t('queues.answered')}</th>
            <th scope="col">{t('queues.abandoned')}</th>
            <th scope="col">{t('queues.serviceLevel')}</th>
            <th scope="col">{t('queues.agents')}</th>
          </tr>
        </thead>
        <tbody>
          {state.queues.map((q) => {
            const met = q.serviceLevel === null || q.serviceLevel >= q.serviceLevelTarget.percentage;
            return (
              <tr key={q.queue} data-queue={q.queue}>
                <th scope="row">{q.queue}</th>
                <td data-field="waiting">{q.waiting}</td>
                <td>{q.longestWaitingSince ? formatDuration(now - Date.parse(q.longestWaitingSince)) : '—'}</td>
                <td data-field="offered">{q.offered}</td>
                <td data-field="answered">{q.answered}</td>
                <td data-field="abandoned">{q.abandoned}</td>
                <td data-field="serviceLevel" class={met ? undefined : 'below-target'}>
                  {t('queues.serviceLevelValue', {
                    value: q.serviceLevel === null ? '—' : `${q.serviceLevel.toLocaleString()} %`,
                    target: q.serviceLevelTarget.percentage,
                    seconds: q.serviceLevelTarget.withinSeconds,
                  })}
                </td>
                <td>{t('queues.agentsValue', { available: q.agents.available, busy: q.agents.busy, online: q.agents.online })}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="help">{t('queues.help')}</p>
    </>
  );
}
