import type { AgentEvent, BotRequest, ErrorCode, OutboundMessage, TranscriptMessage } from '../contract/index.ts';
import type { AgentActorEvent } from '../agent/events.ts';
import type { ConversationActorEvent } from '../conversation/events.ts';

/**
 * What an actor's transition asks the world to do. Machines stay pure: the host runs the
 * transition, applies the durable effects in the same transaction as the new snapshot,
 * and performs the rest after commit.
 */
export type Effect =
  /** Durable: an event for another actor, delivered at least once through the outbox. */
  | { kind: 'send'; to: { kind: 'conversation'; id: string }; event: ConversationActorEvent }
  | { kind: 'send'; to: { kind: 'agent'; id: string }; event: AgentActorEvent }
  /** Durable: a message for the customer, published to the outbound stream through the outbox. */
  | { kind: 'deliver'; message: OutboundMessage }
  /** Best effort, after commit: an event for the agent's connected clients. */
  | { kind: 'notify'; agentId: string; event: DistributiveOmit<AgentEvent, 'version' | 'tenant' | 'agentId' | 'at'> }
  /** Best effort, after commit: the answer to an agent command. */
  | { kind: 'reply'; agentId: string; commandId: string; error?: ErrorCode }
  /** Best effort, after commit: ask the bot; its answer (or failure) comes back as an event. */
  | { kind: 'bot.ask'; subject: string; timeoutMs: number; request: BotRequest }
  | { kind: 'timer.arm'; name: string; at: string; event: TimerEvent }
  | { kind: 'timer.cancel'; name: string }
  | { kind: 'message.store'; message: TranscriptMessage; customerId: string; platformMessageId?: string }
  | { kind: 'assignment.wrap-up'; offerId: string; code: string }
  | { kind: 'assignment.offer'; offerId: string; conversationId: string; queue: string | null; at: string; reason: unknown }
  | {
      kind: 'assignment.update';
      offerId: string;
      state: 'accepted' | 'rejected' | 'timeout' | 'rescinded' | 'declined' | 'ended';
      at: string;
      queue: string | null;
      offeredAt?: string;
    };

/** Events a durable timer brings back; `timerId` lets the host drop a stale firing. */
export type TimerEvent =
  | { type: 'window.expired'; at: string }
  | { type: 'bot.failed'; at: string; reason: string }
  | { type: 'target.expired'; at: string }
  | { type: 'ring.advance'; at: string }
  | { type: 'offer.timeout'; offerId: string; at: string }
  | { type: 'after-work.done'; conversationId: string; at: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
