import type { InFlight } from './agent-index.ts';
import type { LedQueue } from './led-queue.ts';
import type { Member } from './queue-members.ts';
import type { Bucket, Listed } from './waiting-list.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/**
 * A waiting conversation (ready, or with an offer in flight) as the scheduler tracks it:
 * one object for its whole wait, which carries its state as fields, so a pass looks
 * nothing up by id and allocates nothing to serve it.
 */
export interface Tracked extends Listed, Member {
  /** The queue of the current version. */
  queue: LedQueue<Tracked> | undefined;
  flight: InFlight | undefined;
  /** Changed since it was last decided: the next pass decides it. */
  changed: boolean;
  /** In the scheduler's list of changed conversations (until the pass ends). */
  queued: boolean;
  /** Decided, waiting aside for particular agents (not in a bucket: only those agents may take it). */
  awaiting: boolean;
  /** No longer tracked (it stopped waiting, or its queue is led elsewhere). */
  gone: boolean;
  /** While a pass may serve it (see `servedBefore`): its urgency at the pass's time. */
  urgency: number;
  /** … whether it is served as changed (any agent may take it) or only by agents that gained room. */
  servedChanged: boolean;
  /** … the bucket whose head it was (the next head follows it when it is served). */
  servedFrom: Bucket | undefined;
  /** … the version the pass meant to serve (one changed since is served as that change says). */
  servedVersion: WaitingConversation | undefined;
}

/** A conversation's state when it starts waiting here. */
export function newTracked(conversation: WaitingConversation): Tracked {
  return {
    conversation,
    kind: undefined,
    bucket: undefined,
    rank: 0,
    memberIndex: -1,
    queue: undefined,
    flight: undefined,
    changed: false,
    queued: false,
    awaiting: false,
    gone: false,
    urgency: 0,
    servedChanged: false,
    servedFrom: undefined,
    servedVersion: undefined,
  };
}

/** The order a pass serves conversations in: more urgent first, then waiting longer, then by id. */
export function servedBefore(a: Tracked, b: Tracked): number {
  if (a.urgency !== b.urgency) return a.urgency > b.urgency ? -1 : 1;
  const x = a.conversation;
  const y = b.conversation;
  if (x.enqueuedAt !== y.enqueuedAt) return x.enqueuedAt - y.enqueuedAt;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}
