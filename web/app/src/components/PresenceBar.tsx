import type { Presence } from '../../../../src/contract/index.ts';
import type { DeskState, DeskStore } from '../desk-store.ts';
import { t } from '../i18n/index.ts';

const presences: Presence[] = ['available', 'away', 'offline'];

/** The agent's presence (a select), its load per media type and the connection state. */
export function PresenceBar({ desk, state }: { desk: DeskStore; state: DeskState }) {
  const agent = state.agent;
  return (
    <div class="presence">
      <p class={`connection connection-${state.connection}`}>{t(`connection.${state.connection}`)}</p>
      <label>
        {t('presence.label')}{' '}
        <select
          value={agent?.presence ?? 'offline'}
          disabled={!agent}
          onChange={(e) => void desk.setPresence((e.currentTarget).value as Presence)}
        >
          {presences.map((p) => (
            <option key={p} value={p}>
              {t(`presence.${p}`)}
            </option>
          ))}
        </select>
      </label>
      {agent && (
        <ul class="capacity" aria-label={t('capacity.label')}>
          {Object.entries(agent.capacity).map(([media, slots]) => (
            <li key={media}>{t('capacity.item', { media: t(`media.${media as 'message'}`), used: slots.used, max: slots.max })}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
