import { randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { contextOfHeaders, withTraceHeaders } from '../bus/index.ts';
import { encode, subjects } from '../contract/index.ts';
import type { ConversationView } from '../conversation/index.ts';
import { agentViewJson, agentViewOfJson, type AgentView, type AgentViewJson } from '../routing/index.ts';

/** A conversation's committed state (what schedulers read of its context, `ConversationView`); `offerId` when the event that changed it answered an offer. */
export interface ConversationNote {
  state: string;
  context: ConversationView;
  offerId?: string;
}

/**
 * What the schedulers know of an agent after a committed step (its `AgentView`, not its
 * context: an agent holding 25 conversations has a context of 4 KB, and every offer, accept
 * and release publishes one); `offerId` when the event was an offer request.
 */
export interface AgentNote {
  view: AgentView;
  offerId?: string;
}

export interface FeedHandlers {
  conversation(note: ConversationNote): void;
  agent(note: AgentNote): void;
}

/** The header naming the feed a note comes from: a feed drops its own notes coming back from NATS. */
const NOTE_ORIGIN_HEADER = 'Parley-Note-Origin';

/**
 * Committed actor state, published by the node that owns the actor to every node, so
 * that each queue's scheduler — wherever its leader runs — follows the conversations
 * and agents it matches. Best effort (core NATS): a missed note is made good by the
 * periodic resynchronization from the store, and the actors themselves arbitrate every
 * offer, so a scheduler working from a stale view proposes, never decides. A note carries
 * the trace of the step that made it: the offer it leads to continues that trace.
 *
 * This node's own followers get its notes at once, in the order they are published, not
 * back from NATS: under a burst the way back waits behind every customer message the
 * connection is reading (tens of milliseconds before each offer), and decoding a note this
 * node just encoded is work for nothing. Notes of different nodes reach a follower in no
 * set order, as before.
 */
export class ActorStateFeed {
  private readonly origin = randomUUID();
  private readonly followers = new Set<FeedHandlers>();

  /**
   * `onError`: a follower threw (it gets the next note all the same). Caught here: an
   * exception out of a subscription's callback would end nats.js's reading of the whole
   * connection.
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly onError: (err: unknown) => void,
  ) {}

  conversation(note: ConversationNote): void {
    this.nc.publish(subjects.actorState('conversation'), encode(note), { headers: this.headers() });
    for (const f of this.followers) this.deliver(() => f.conversation(note));
  }

  agent(note: AgentNote): void {
    const json: { view: AgentViewJson; offerId?: string } = { view: agentViewJson(note.view), ...(note.offerId !== undefined && { offerId: note.offerId }) };
    this.nc.publish(subjects.actorState('agent-view'), encode(json), { headers: this.headers() });
    for (const f of this.followers) this.deliver(() => f.agent(note));
  }

  follow(handlers: FeedHandlers): { stop(): void } {
    this.followers.add(handlers);
    const subs = [
      this.nc.subscribe(subjects.actorState('conversation'), {
        callback: (err, msg) => {
          if (!err && !this.own(msg)) this.deliver(() => inContextOf(msg, () => handlers.conversation(msg.json<ConversationNote>())));
        },
      }),
      this.nc.subscribe(subjects.actorState('agent-view'), {
        callback: (err, msg) => {
          if (err || this.own(msg)) return;
          this.deliver(() =>
            inContextOf(msg, () => {
              const { view, offerId } = msg.json<{ view: AgentViewJson; offerId?: string }>();
              handlers.agent({ view: agentViewOfJson(view), ...(offerId !== undefined && { offerId }) });
            }),
          );
        },
      }),
    ];
    return {
      stop: () => {
        this.followers.delete(handlers);
        subs.forEach((s) => s.unsubscribe());
      },
    };
  }

  private headers() {
    const h = withTraceHeaders() ?? natsHeaders();
    h.set(NOTE_ORIGIN_HEADER, this.origin);
    return h;
  }

  private own(msg: Msg): boolean {
    return msg.headers?.get(NOTE_ORIGIN_HEADER) === this.origin;
  }

  /** Runs a follower on a note; a note it cannot take (a bug, or a note it cannot read) is reported, and the resync from the store makes good. */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }
}

function inContextOf(msg: Msg, fn: () => void): void {
  context.with(contextOfHeaders(msg.headers), fn);
}
