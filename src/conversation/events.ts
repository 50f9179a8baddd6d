import type { BotAnswer, ErrorCode, TranscriptMessage } from '../contract/index.ts';
import type { QueuePolicy } from './policy.ts';
import type { OpeningTemplate } from './context.ts';

/** Every event carries `at`, the host's clock, so transitions stay pure and replayable. */
export type ConversationActorEvent =
  | {
      type: 'customer.message';
      at: string;
      message: TranscriptMessage;
    }
  | { type: 'offer.reserved'; at: string; offerId: string; agentId: string }
  | { type: 'offer.declined'; at: string; offerId: string; agentId: string; reason: 'unavailable' | 'rejected' | 'timeout' | 'offline' }
  /** `commandId` is the agent's accept command, answered once connected (absent when the agent accepts automatically). */
  | { type: 'offer.accepted'; at: string; offerId: string; agentId: string; commandId?: string | undefined }
  | {
      type: 'agent.message';
      at: string;
      commandId: string;
      agentId: string;
      text?: string | undefined;
      attachments?: TranscriptMessage['attachments'];
      content?: TranscriptMessage['content'];
    }
  | { type: 'agent.close'; at: string; commandId: string; agentId: string; wrapUpCode?: string | undefined }
  /** A blind transfer by the connected agent: to another queue (with its policy) or to one agent. */
  | { type: 'agent.transfer'; at: string; commandId: string; agentId: string; to: { queue: string; policy: QueuePolicy } | { agent: string }; note?: string | undefined }
  | { type: 'window.expired'; at: string }
  /** The agent starts this conversation (its creating event): the agent actor is asked for a slot first. */
  | { type: 'agent.start'; at: string; commandId: string; agentId: string; text: string; template?: OpeningTemplate | undefined }
  /** The agent actor's answer to `assignment.take`: the slot is the agent's now, or refused (`agentAtCapacity`). */
  | { type: 'assignment.taken'; at: string; agentId: string; assignmentId: string }
  | { type: 'assignment.refused'; at: string; agentId: string; error: ErrorCode }
  /** The bot's answer to the last message (`messageId`: the id its reply is stored under); `policy` when it names a queue. */
  | { type: 'bot.answered'; at: string; answer: BotAnswer; messageId: string; policy?: QueuePolicy | undefined }
  /** The bot did not answer (timeout, error, invalid answer): an agent takes over. */
  | { type: 'bot.failed'; at: string; reason: string }
  /** Durable timers of the waiting conversation. */
  | { type: 'target.expired'; at: string }
  | { type: 'ring.advance'; at: string }
  /**
   * `queue` was deleted: a conversation waiting in it (or offered from it) moves to `to`,
   * or closes with reason `queueDeleted` when `to` is null. Sent by the leader of the
   * deleted queue; ignored once the conversation is elsewhere, so it acts once.
   */
  | { type: 'queue.deleted'; at: string; queue: string; to: { queue: string; policy: QueuePolicy } | null };
