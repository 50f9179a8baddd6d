import type { AgentEvent, BotRequest, ErrorCode, MediaType, OutboundMessage, TranscriptMessage } from '../contract/index.ts';

/**
 * What an actor's transition asks the world to do. Machines stay pure: the host runs the
 * transition, applies the durable effects in the same transaction as the new snapshot,
 * and performs the rest after commit. The vocabulary names no domain: an event for
 * another actor is addressed by kind and id, and each domain types its own events.
 */
export type Effect =
  /** Durable: an event for another actor, delivered at least once through the outbox. */
  | { kind: 'send'; to: { kind: string; id: string }; event: EffectEvent }
  /** Durable: a message for the customer, published to the outbound stream through the outbox. */
  | { kind: 'deliver'; message: OutboundMessage }
  /** Best effort, after commit: an event for the agent's connected clients. */
  | { kind: 'notify'; agentId: string; event: DistributiveOmit<AgentEvent, 'version' | 'tenant' | 'agentId' | 'at'> }
  /** Best effort, after commit: the answer to an agent command. */
  | { kind: 'reply'; agentId: string; commandId: string; error?: ErrorCode }
  /** Best effort, after commit: ask the bot; its answer (or failure) comes back as an event. */
  | { kind: 'bot.ask'; subject: string; timeoutMs: number; request: BotRequest }
  /** Durable: the event comes back to the actor at `at` (a stale firing is dropped by its name's timer row). */
  | { kind: 'timer.arm'; name: string; at: string; event: EffectEvent }
  | { kind: 'timer.cancel'; name: string }
  | { kind: 'message.store'; message: TranscriptMessage; customerId: string; platformMessageId?: string }
  | { kind: 'assignment.wrap-up'; offerId: string; code: string }
  /** Durable: an offer made to the agent (its assignment row). */
  | { kind: 'assignment.offer'; offerId: string; conversationId: string; mediaType: MediaType; queue: string | null; at: string; reason: unknown }
  /**
   * Durable: the offer's outcome, or the end of the assignment. The agent holds a slot from
   * `accepted` until the assignment ends, or until `afterWorkUntil` when it ends with
   * after-conversation work (then `assignment.after-work-done`).
   */
  | {
      kind: 'assignment.update';
      offerId: string;
      state: 'accepted' | 'rejected' | 'timeout' | 'rescinded' | 'declined' | 'ended';
      at: string;
      queue: string | null;
      offeredAt?: string;
      afterWorkUntil?: string;
    }
  /** Durable: the after-conversation work of an ended assignment is over; its slot is free. */
  | { kind: 'assignment.after-work-done'; offerId: string };

/** An event an effect carries (for another actor, or back to the actor itself): each domain types its own; here only its `type` is known. */
export type EffectEvent = { type: string } & Record<string, unknown>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
