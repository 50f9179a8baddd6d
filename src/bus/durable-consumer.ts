import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** JetStream's error for a consumer created again with a different configuration. */
const CONSUMER_ALREADY_EXISTS = 10148;

export interface DurableConsumer {
  stream: string;
  durable: string;
  filterSubject?: string;
  ackWaitMs: number;
  maxAckPending: number;
}

/**
 * Creates a pull consumer's durable, or edits its limits when it exists with others (made
 * with another window, by an older version or another setting): they are editable.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, consumer: DurableConsumer): Promise<void> {
  const limits = { ack_wait: nanos(consumer.ackWaitMs), max_ack_pending: consumer.maxAckPending };
  try {
    await jsm.consumers.add(consumer.stream, {
      durable_name: consumer.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...limits,
      ...(consumer.filterSubject && { filter_subject: consumer.filterSubject }),
    });
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === CONSUMER_ALREADY_EXISTS)) throw err;
    await jsm.consumers.update(consumer.stream, consumer.durable, limits);
  }
}
