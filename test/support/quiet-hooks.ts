import type { HostHooks } from '../../src/actor/index.ts';

/** Host hooks that do nothing: for tests of the actor host alone, without a router around it. */
export const quietHooks: HostHooks = {
  outbox: () => undefined,
  notify: () => undefined,
  conversationChanged: () => undefined,
  agentChanged: () => undefined,
  timerArmed: () => undefined,
  offerEnded: () => undefined,
  messageDelivered: () => undefined,
  stepTook: () => undefined,
  askBot: () => undefined,
};
