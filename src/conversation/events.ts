import type { TranscriptMessage } from '../contract/index.ts';

/** Every event carries `at`, the host's clock, so transitions stay pure and replayable. */
export type ConversationActorEvent =
  | {
      type: 'customer.message';
      at: string;
      message: TranscriptMessage;
    }
  | { type: 'offer.reserved'; at: string; offerId: string; agentId: string }
  | { type: 'offer.declined'; at: string; offerId: string; agentId: string; reason: 'unavailable' | 'rejected' | 'timeout' | 'offline' }
  /** `commandId` is the agent's accept command: the conversation answers it once connected. */
  | { type: 'offer.accepted'; at: string; offerId: string; agentId: string; commandId: string }
  | {
      type: 'agent.message';
      at: string;
      commandId: string;
      agentId: string;
      text?: string | undefined;
      attachments?: TranscriptMessage['attachments'];
      content?: TranscriptMessage['content'];
    }
  | { type: 'agent.close'; at: string; commandId: string; agentId: string }
  | { type: 'window.expired'; at: string };
