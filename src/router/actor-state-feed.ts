import { context } from '@opentelemetry/api';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { contextOfHeaders, withTraceHeaders } from '../bus/index.ts';
import { encode, subjects } from '../contract/index.ts';
import type { AgentContext } from '../agent/index.ts';
import type { ConversationContext } from '../conversation/index.ts';

/** A conversation's committed state; `offerId` when the event that changed it answered an offer. */
export interface ConversationNote {
  state: string;
  context: ConversationContext;
  offerId?: string;
}

/** An agent's committed state; `offerId` when the event was an offer request. */
export interface AgentNote {
  context: AgentContext;
  offerId?: string;
}

/**
 * Committed actor state, published by the node that owns the actor to every node, so
 * that each queue's scheduler — wherever its leader runs — follows the conversations
 * and agents it matches. Best effort (core NATS): a missed note is made good by the
 * periodic resynchronization from the store, and the actors themselves arbitrate every
 * offer, so a scheduler working from a stale view proposes, never decides. A note carries
 * the trace of the step that made it: the offer it leads to continues that trace.
 */
export class ActorStateFeed {
  constructor(private readonly nc: NatsConnection) {}

  conversation(note: ConversationNote): void {
    this.nc.publish(subjects.actorState('conversation'), encode(note), { headers: withTraceHeaders() });
  }

  agent(note: AgentNote): void {
    this.nc.publish(subjects.actorState('agent'), encode(note), { headers: withTraceHeaders() });
  }

  follow(handlers: { conversation(note: ConversationNote): void; agent(note: AgentNote): void }): { stop(): void } {
    const subs = [
      this.nc.subscribe(subjects.actorState('conversation'), {
        callback: (err, msg) => {
          if (!err) inContextOf(msg, () => handlers.conversation(msg.json<ConversationNote>()));
        },
      }),
      this.nc.subscribe(subjects.actorState('agent'), {
        callback: (err, msg) => {
          if (!err) inContextOf(msg, () => handlers.agent(msg.json<AgentNote>()));
        },
      }),
    ];
    return { stop: () => subs.forEach((s) => s.unsubscribe()) };
  }
}

function inContextOf(msg: Msg, fn: () => void): void {
  context.with(contextOfHeaders(msg.headers), fn);
}
