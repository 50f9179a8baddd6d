import type { JetStreamClient } from '@nats-io/jetstream';
import { withTraceHeaders } from '../bus/index.ts';
import { InboundMessage, encode, inboundMsgId, subjects, type Attachment, type RichContent } from '../contract/index.ts';
import { inboundMessageId } from './history.ts';
import type { WebSession } from './session-token.ts';

export interface CustomerMessage {
  /** The browser's id of the message. */
  clientId: string;
  text?: string;
  attachments?: Attachment[];
  content?: RichContent[];
  /** BCP 47 language of the widget's page, for inbound-flow rules. */
  language?: string;
}

/**
 * Publishes a customer's message to the inbound stream and resolves after JetStream's
 * PubAck. `Nats-Msg-Id` is derived from the browser's id, so a resend (lost ack, reconnect)
 * is dropped by the stream's de-duplication window.
 * @returns whether JetStream saw it as a duplicate.
 */
export async function publishCustomerMessage(js: JetStreamClient, session: WebSession, message: CustomerMessage, timeoutMs: number): Promise<boolean> {
  const messageId = inboundMessageId(session.customerId, message.clientId);
  const envelope = InboundMessage.parse({
    version: 1,
    tenant: session.tenant,
    channel: session.channel,
    messageId,
    timestamp: new Date().toISOString(),
    from: { id: session.customerId, idType: 'opaque' },
    ...(message.text !== undefined && message.text.trim() !== '' && { text: message.text }),
    ...(message.attachments && message.attachments.length > 0 && { attachments: message.attachments }),
    ...(message.content && { content: message.content }),
    ...(message.language && { language: message.language }),
  });
  const ack = await js.publish(subjects.inbound(session.tenant, session.channel), encode(envelope), {
    msgID: inboundMsgId(session.tenant, session.channel, messageId),
    timeout: timeoutMs,
    headers: withTraceHeaders(),
  });
  return ack.duplicate;
}

