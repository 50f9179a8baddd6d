import { randomUUID } from 'node:crypto';
import type { InboundMessage } from '../../src/contract/index.ts';

/** A customer's text message as a gateway publishes it (a fresh message id each time), for tests that hand messages to the runtime directly. */
export function inboundText(tenant: string, customer: string, channel = 'whatsapp'): InboundMessage {
  return {
    version: 1,
    tenant,
    channel,
    messageId: `wamid.${randomUUID()}`,
    timestamp: new Date().toISOString(),
    from: { id: customer, idType: 'opaque' },
    text: 'hello',
  };
}
