import { randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { contextOfCarrier, contextOfHeaders, traceCarrier, withTraceHeaders } from '../bus/index.ts';
import { subjects } from '../contract/index.ts';
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

/** An agent's note as JSON carries it. */
interface AgentNoteJson {
  view: AgentViewJson;
  offerId?: string;
}

/** A note in a batch: its fields, and the trace context of the step that made it (`traceparent`, `tracestate`) when there is one. */
type Traced<N> = N & { trace?: Record<string, string> };

/** What a message on `parley.v1.cluster.state.conversations` or `.agents` holds. */
export interface NoteBatch<N> {
  notes: Traced<N>[];
}

/**
 * Notes published in one go travel in one message of at most about this many characters
 * (a note larger than that travels alone); NATS's default limit is 1 MB.
 */
export const MAX_BATCH_CHARS = 64 * 1024;

/** How long after the last note heard from a router of the release before this feed also publishes every note the way that release reads them. */
export const LEGACY_PEER_MS = 60_000;

/** The header naming the feed a note comes from: a feed drops its own notes coming back from NATS. */
const NOTE_ORIGIN_HEADER = 'Parley-Note-Origin';
/** On a note published one per message by a feed that batches them too: a feed that reads the batches drops it. */
const BATCHED_TOO_HEADER = 'Parley-Notes-Batched';

/**
 * Committed actor state, published by the node that owns the actor to every node, so
 * that each queue's scheduler — wherever its leader runs — follows the conversations
 * and agents it matches. Best effort (core NATS): a missed note is made good by the
 * periodic resynchronization from the store, and the actors themselves arbitrate every
 * offer, so a scheduler working from a stale view proposes, never decides. A note carries
 * the trace of the step that made it: the offer it leads to continues that trace.
 *
 * **Batched.** The notes published in one go — the after-commit work of a transaction,
 * which runs without a pause — travel in one message per subject, in the order
 * published. Every router receives every note, and much of what receiving one costs is
 * per message (the protocol, the header, the callback: about 40 % of it for a note of a
 * few hundred bytes, docs/cluster.md §16), so under load a router pays a fraction of that
 * per note, and the NATS server routes a fraction of the messages. At light load a
 * transaction commits one step, and a message holds one note.
 *
 * **Own notes.** This node's own followers get its notes at once, in the order they are
 * published, not back from NATS: under a burst the way back waits behind every customer
 * message the connection is reading (tens of milliseconds before each offer), and
 * decoding a note this node just encoded is work for nothing. Notes of different nodes
 * reach a follower in no set order, as before.
 *
 * **Rolling upgrades.** The release before published one note per message on other
 * subjects. This feed reads those too, and while it has heard such a router within
 * `LEGACY_PEER_MS` it publishes each note that way as well, marked so that feeds that
 * read the batches drop the copy.
 */
export class ActorStateFeed {
  private readonly origin = randomUUID();
  private readonly followers = new Set<FeedHandlers>();
  /** Notes waiting for the end of the current job, per subject, as JSON text. */
  private readonly pending = new Map<string, { notes: string[]; chars: number }>();
  private flushQueued = false;
  /** When a note of a router of the release before was last heard (-Infinity: never). */
  private legacyHeardAt = -Infinity;

  /**
   * `onError`: a follower threw (it gets the next note all the same), or a publish
   * failed. Caught here: an exception out of a subscription's callback would end
   * nats.js's reading of the whole connection.
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  conversation(note: ConversationNote): void {
    this.publishNote('conversations', note);
    for (const f of this.followers) this.deliver(() => f.conversation(note));
  }

  agent(note: AgentNote): void {
    const json: AgentNoteJson = { view: agentViewJson(note.view), ...(note.offerId !== undefined && { offerId: note.offerId }) };
    this.publishNote('agents', json);
    for (const f of this.followers) this.deliver(() => f.agent(note));
  }

  follow(handlers: FeedHandlers): { stop(): void } {
    this.followers.add(handlers);
    const conversation = (n: Traced<ConversationNote>) => handlers.conversation(conversationNote(n));
    const agent = (n: Traced<AgentNoteJson>) => handlers.agent(agentNote(n));
    const subs = [
      this.subscribe(subjects.actorStates('conversations'), (msg) => this.receive(msg, conversation)),
      this.subscribe(subjects.actorStates('agents'), (msg) => this.receive(msg, agent)),
      this.subscribe(subjects.legacyActorState('conversation'), (msg) => this.receiveLegacy(msg, conversation)),
      this.subscribe(subjects.legacyActorState('agent-view'), (msg) => this.receiveLegacy(msg, agent)),
    ];
    return {
      stop: () => {
        this.followers.delete(handlers);
        subs.forEach((s) => s.unsubscribe());
      },
    };
  }

  /** Sends what is pending now rather than at the end of the current job. */
  flush(): void {
    this.flushQueued = false;
    for (const [subject, batch] of this.pending) this.publishBatch(subject, batch.notes);
    this.pending.clear();
  }

  /** Into the batch for its subject, with the active trace; and the way the release before reads it, while one is heard. */
  private publishNote(kind: 'conversations' | 'agents', json: object): void {
    this.enqueue(subjects.actorStates(kind), JSON.stringify(withTrace(json, traceCarrier())));
    if (this.hearsLegacy()) this.publishLegacy(subjects.legacyActorState(kind === 'conversations' ? 'conversation' : 'agent-view'), JSON.stringify(json));
  }

  private enqueue(subject: string, note: string): void {
    let batch = this.pending.get(subject);
    if (batch && batch.chars + note.length > MAX_BATCH_CHARS) {
      this.publishBatch(subject, batch.notes);
      batch = undefined;
    }
    if (!batch) this.pending.set(subject, (batch = { notes: [], chars: 0 }));
    batch.notes.push(note);
    batch.chars += note.length + 1;
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private publishBatch(subject: string, notes: readonly string[]): void {
    this.publish(subject, `{"notes":[${notes.join(',')}]}`, this.headers());
  }

  private publishLegacy(subject: string, note: string): void {
    const h = withTraceHeaders(this.headers()) as MsgHdrs;
    h.set(BATCHED_TOO_HEADER, '1');
    this.publish(subject, note, h);
  }

  /** A publish that fails (the connection closed) is reported: it runs after commits, where nothing may throw. */
  private publish(subject: string, data: string, headers: MsgHdrs): void {
    try {
      this.nc.publish(subject, data, { headers });
    } catch (err) {
      this.onError(err);
    }
  }

  private subscribe(subject: string, take: (msg: Msg) => void) {
    return this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) take(msg);
      },
    });
  }

  private receive<N>(msg: Msg, take: (note: Traced<N>) => void): void {
    if (this.own(msg)) return;
    let notes: Traced<N>[];
    try {
      notes = msg.json<NoteBatch<N>>().notes;
      if (!Array.isArray(notes)) throw new TypeError(`a state note batch on ${msg.subject} has no list of notes`);
    } catch (err) {
      this.onError(err);
      return;
    }
    for (const note of notes) this.deliver(() => context.with(contextOfCarrier(note.trace), () => take(note)));
  }

  /** A note the way the release before publishes them: from such a router, or the copy of a batched note (dropped). */
  private receiveLegacy<N>(msg: Msg, take: (note: N) => void): void {
    if (this.own(msg) || msg.headers?.get(BATCHED_TOO_HEADER)) return;
    this.legacyHeardAt = this.now();
    this.deliver(() => context.with(contextOfHeaders(msg.headers), () => take(msg.json<N>())));
  }

  private hearsLegacy(): boolean {
    return this.now() - this.legacyHeardAt < LEGACY_PEER_MS;
  }

  private headers(): MsgHdrs {
    const h = natsHeaders();
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

/** The note with its trace context, when there is one (with tracing off there never is). */
function withTrace<N extends object>(note: N, trace: Record<string, string>): Traced<N> {
  return Object.keys(trace).length > 0 ? { ...note, trace } : note;
}

function conversationNote({ state, context: view, offerId }: Traced<ConversationNote>): ConversationNote {
  return { state, context: view, ...(offerId !== undefined && { offerId }) };
}

function agentNote({ view, offerId }: Traced<AgentNoteJson>): AgentNote {
  return { view: agentViewOfJson(view), ...(offerId !== undefined && { offerId }) };
}
