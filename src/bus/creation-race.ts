import { JetStreamApiError } from '@nats-io/jetstream';

/**
 * JetStream's refusals of a stream create that another process won meanwhile: a stream
 * of that name exists now (10058), or one on the same subjects (10065). Routers starting
 * together on a new NATS server each find no stream, each create it, and the server may
 * refuse the second create so (seen on CI with nats-server 2.9, two routers starting at
 * once) instead of answering it with the stream the first one made.
 */
const CREATED_MEANWHILE = new Set([10058, 10065]);

/** Whether `err` is JetStream refusing a create because another process created the stream first. */
export function isCreatedMeanwhile(err: unknown): boolean {
  return err instanceof JetStreamApiError && CREATED_MEANWHILE.has(err.code);
}

/**
 * Runs an idempotent create (a stream or a KV bucket: what exists with the same settings
 * is taken as it is) once more when it lost that race: the second attempt finds the stream
 * the other process made. A refusal on the second attempt is a real conflict (a stream of
 * other settings, or of another name on the same subjects) and is thrown.
 */
export async function retryCreationRace<T>(create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!isCreatedMeanwhile(err)) throw err;
    return create();
  }
}
