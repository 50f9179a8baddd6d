import type { Refusal } from '../provider.ts';
import type { ResolvedMessengerOptions } from './options.ts';

export type MessagingType = { messaging_type: 'RESPONSE' } | { messaging_type: 'MESSAGE_TAG'; tag: 'HUMAN_AGENT' };

const platformName = { messenger: 'Messenger', instagram: 'Instagram' } as const;

/**
 * Meta's messaging window (developers.facebook.com/docs/messenger-platform/policy):
 * `RESPONSE` within 24 h of the customer's last message; after that, a human agent may
 * answer with the `HUMAN_AGENT` tag up to 7 days when the app has that permission
 * (Messenger and Instagram alike); anything else is refused with the reason.
 */
export function messagingTypeFor(lastInboundAt: Date | undefined, now: Date, fromAgent: boolean, options: ResolvedMessengerOptions): MessagingType | Refusal {
  const name = platformName[options.platform];
  if (!lastInboundAt) return { ok: false, code: 'OutsideWindow', reason: `${name} allows a message only after the customer has written.` };
  const age = now.getTime() - lastInboundAt.getTime();
  if (age < options.windowMs) return { messaging_type: 'RESPONSE' };
  if (age < options.humanAgentWindowMs) {
    if (options.humanAgentTag && fromAgent) return { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' };
    const why = fromAgent ? 'this channel does not have the Human Agent permission' : 'only a human agent may answer after 24 hours';
    return { ok: false, code: 'OutsideWindow', reason: `The ${name} 24-hour window has closed and ${why}.` };
  }
  return {
    ok: false,
    code: 'OutsideWindow',
    reason: `The customer last wrote more than ${Math.round(options.humanAgentWindowMs / 86_400_000)} days ago: ${name} allows no reply until they write again.`,
  };
}
