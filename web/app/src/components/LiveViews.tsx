import { useEffect, useMemo } from 'preact/hooks';
import { AgentBoardStore } from '../agent-board-store.ts';
import type { Api } from '../api.ts';
import { formatDuration, t } from '../i18n/index.ts';
import { useNow, useStore } from '../store.ts';
import { QueueActivityTable } from './QueueActivityTable.tsx';

/** Supervisors' live views: queue activity (the supervisor stream) and the agent status board. */
export function LiveViews({ api }: { api: Api }) {
  const board = useMemo(() => new AgentBoardStore(api), [api]);
  useEffect(() => {
    board.start();
    return () => board.stop();
  }, [board]);
  const state = useStore(board);
  const now = useNow(1000);
  return (
    <section class="live" aria-labelledby="live-heading">
      <h2 id="live-heading">{t('supervisor.heading')}</h2>
      <QueueActivityTable api={api} />
      <table aria-labelledby="agents-heading">
        <caption id="agents-heading">
          {t('supervisor.agents')} <span class="muted">{state.connected ? t('queues.live') : t('queues.reconnecting')}</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">{t('supervisor.agent')}</th>
            <th scope="col">{t('supervisor.presence')}</th>
            <th scope="col">{t('supervisor.load')}</th>
            <th scope="col">{t('supervisor.inState')}</th>
          </tr>
        </thead>
        <tbody>
          {state.agents.map((agent) => (
            <tr key={agent.id}>
              <th scope="row">
                {agent.name} <span class="muted">({agent.id})</span>
              </th>
              <td data-presence={agent.presence}>{t(`presence.${agent.presence}`)}</td>
              <td>
                {Object.entries(agent.capacity)
                  .map(([media, slots]) => t('capacity.item', { media: t(`media.${media as 'message'}`), used: slots.used, max: slots.max }))
                  .join(', ')}
              </td>
              <td>{agent.presenceSince === null ? '—' : formatDuration(Math.max(0, now - Date.parse(agent.presenceSince)))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="help">{t('supervisor.inStateHelp')}</p>
    </section>
  );
}
