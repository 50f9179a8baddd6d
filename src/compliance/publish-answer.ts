import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects, type OutboundMessage } from '../contract/index.ts';

/**
 * Publishes a compliance answer to the outbound stream, like every message Parley sends,
 * with its id as `Nats-Msg-Id` (a redelivered keyword publishes the same answer once).
 * Resolves once JetStream stored it.
 */
export async function publishComplianceAnswer(nc: NatsConnection, answer: OutboundMessage): Promise<void> {
  await jetstream(nc).publish(subjects.outbound(answer.tenant, answer.channel), JSON.stringify(answer), { msgID: answer.id });
}
