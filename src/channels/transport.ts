import type { ChannelType, OutboundMessage } from '../contract/index.ts';
import type { SendOutcome } from './provider.ts';

/**
 * A channel whose sending is not one HTTP call per message: e-mail over SMTP, web
 * messaging over the customer's WebSocket. The channels role's sender paces, records and
 * retries around `send` exactly as it does for the HTTP providers; the transport only
 * delivers one message and says what became of it.
 */
export interface ChannelTransport {
  readonly types: readonly ChannelType[];
  /**
   * Delivers one outbound message for the Channel `channel` of `tenant`. Resolves with the
   * outcome (accepted with the transport's own id, retry later, or failed for good); throws
   * only for a bug, never for the far end's refusal.
   */
  send(message: OutboundMessage, target: { readonly tenant: string; readonly channel: string }): Promise<SendOutcome>;
}
