import type { HostHooks } from '../../src/runtime/index.ts';

/** Host hooks that do nothing: for tests of the actor host alone, without a router around it. */
export const quietHooks: HostHooks = {
  outbox: () => undefined,
  notify: () => undefined,
  changed: () => undefined,
  timerArmed: () => undefined,
  offerEnded: () => undefined,
  messageDelivered: () => undefined,
  stepTook: () => undefined,
  askBot: () => undefined,
};
