import type { Refusal } from '../provider.ts';

/** X allows at most 5 replies per customer message, within 24 h of it (developer.x.com …/new-event). */
export const xMaxRepliesPerInbound = 5;
const windowMs = 24 * 3_600_000;

/**
 * Whether `count` more DMs may go: the customer wrote within 24 h and fewer than 5 replies
 * have answered that message. The reason tells the agent why a sixth is refused.
 */
export function xReplyRefusal(lastInboundAt: Date | undefined, repliesSinceInbound: number, count: number, now: Date): Refusal | undefined {
  if (!lastInboundAt || now.getTime() - lastInboundAt.getTime() >= windowMs) {
    return { ok: false, code: 'OutsideWindow', reason: 'X allows replies only within 24 hours of the customer\'s last message: wait for the customer to write again.' };
  }
  if (repliesSinceInbound + count > xMaxRepliesPerInbound) {
    const left = Math.max(0, xMaxRepliesPerInbound - repliesSinceInbound);
    return {
      ok: false,
      code: 'ReplyLimitReached',
      reason: `X allows at most ${xMaxRepliesPerInbound} replies to each customer message; ${left === 0 ? 'none is' : `only ${left} ${left === 1 ? 'is' : 'are'}`} left (this message needs ${count}) until the customer writes again.`,
    };
  }
  return undefined;
}
