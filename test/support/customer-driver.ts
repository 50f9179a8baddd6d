import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { encode, inboundMsgId, subjects, type InboundMessage } from '../../src/contract/index.ts';

/** Plays a channel adapter: publishes a customer's messages as contract envelopes. */
export class CustomerDriver {
  constructor(
    private readonly nc: NatsConnection,
    readonly tenant: string,
    readonly channel: string,
    readonly from: InboundMessage['from'],
  ) {}

  /** Publishes one message; returns the envelope sent. */
  async say(text: string, extra: Partial<InboundMessage> = {}): Promise<InboundMessage> {
    const envelope: InboundMessage = {
      version: 1,
      tenant: this.tenant,
      channel: this.channel,
      messageId: `wamid.${randomUUID()}`,
      timestamp: new Date().toISOString(),
      from: this.from,
      text,
      ...extra,
    };
    await jetstream(this.nc).publish(subjects.inbound(this.tenant, this.channel), encode(envelope), {
      msgID: inboundMsgId(this.tenant, this.channel, envelope.messageId),
    });
    return envelope;
  }
}
