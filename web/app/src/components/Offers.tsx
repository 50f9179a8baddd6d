import { useEffect, useRef } from 'preact/hooks';
import type { PendingOffer } from '../../../../src/agent/context.ts';
import type { DeskStore } from '../desk-store.ts';
import { t } from '../i18n/index.ts';
import { useNow } from '../store.ts';

/**
 * Offers ringing now, each with its countdown to the queue's alerting timeout. When one
 * arrives, focus moves to its Accept button unless the agent is typing somewhere.
 */
export function Offers({ desk, offers }: { desk: DeskStore; offers: PendingOffer[] }) {
  const now = useNow(250);
  const live = offers.filter((o) => Date.parse(o.expiresAt) > now);
  const firstAccept = useRef<HTMLButtonElement>(null);
  const firstId = live[0]?.offerId;
  useEffect(() => {
    const active = document.activeElement;
    const typing = active instanceof HTMLTextAreaElement || (active instanceof HTMLInputElement && active.type !== 'button');
    if (firstId && !typing) firstAccept.current?.focus();
  }, [firstId]);

  return (
    <section class="offers" aria-labelledby="offers-heading">
      <h2 id="offers-heading">{t('offers.heading')}</h2>
      {live.length === 0 ? (
        <p class="empty">{t('offers.none')}</p>
      ) : (
        <ul>
          {live.map((offer, i) => {
            const total = Math.max(1, Date.parse(offer.expiresAt) - Date.parse(offer.offeredAt));
            const left = Math.max(0, Date.parse(offer.expiresAt) - now);
            const seconds = Math.ceil(left / 1000);
            const customer = offer.customerName ?? offer.customerId.slice(0, 8);
            return (
              <li key={offer.offerId} class="offer" aria-label={t('offers.ringing', { customer, channel: offer.channel })}>
                <p class="offer-title">
                  <span class={`channel channel-${offer.channelType}`}>{offer.channel}</span> {customer}
                </p>
                {offer.queue && <p>{t('offers.queue', { queue: offer.queue })}</p>}
                {offer.transferredBy && (
                  <p class="offer-transfer">
                    {t('offers.transferredBy', { name: desk.state.colleagues.find((c) => c.id === offer.transferredBy?.agentId)?.name ?? offer.transferredBy.agentId })}
                    {offer.transferredBy.note && (
                      <>
                        {' '}
                        <q class="offer-transfer-note">{offer.transferredBy.note}</q>
                      </>
                    )}
                  </p>
                )}
                <div
                  role="progressbar"
                  aria-label={t('offers.secondsLeft', { seconds })}
                  aria-valuemin={0}
                  aria-valuemax={Math.round(total / 1000)}
                  aria-valuenow={seconds}
                  aria-valuetext={t('offers.secondsLeft', { seconds })}
                  class="countdown"
                >
                  <div class="countdown-bar" style={{ width: `${(left / total) * 100}%` }} />
                </div>
                <p class="countdown-text" aria-hidden="true">
                  {t('offers.secondsLeft', { seconds })}
                </p>
                <div class="actions">
                  <button type="button" class="primary" ref={i === 0 ? firstAccept : undefined} onClick={() => void desk.accept(offer.offerId)} aria-keyshortcuts={i === 0 ? 'Alt+A' : undefined}>
                    {t('offers.accept')}
                  </button>
                  <button type="button" onClick={() => void desk.reject(offer.offerId)}>
                    {t('offers.reject')}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <p class="help">{t('offers.shortcut')}</p>
    </section>
  );
}
