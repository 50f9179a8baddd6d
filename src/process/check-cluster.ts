import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { retryTimeouts } from '../bus/index.ts';
import { bindClusterId, ClusterMismatchError, openClusterBucket } from '../cluster/index.ts';
import type { Logger } from '../observability/index.ts';
import { ClusterIdMissingError, readClusterId, type Database } from '../store/index.ts';
import { DependencyError, redactUrl } from './dependency-error.ts';

/** NATS and the database belong to different clusters: the process refuses to start. */
export class ClusterConflictError extends Error {
  override readonly name = 'ClusterConflictError';
}

/**
 * One cluster, one database: the database's cluster id must be the one recorded in the
 * NATS cluster bucket (recorded now if the bucket has none). Otherwise a router would
 * take partitions of another database's cluster and store its conversations here.
 * JetStream answering late (busy, electing a leader) is asked again for a while.
 * Resolves with the cluster id.
 */
export async function checkCluster(nc: NatsConnection, db: Kysely<Database>, urls: { nats: string; database: string }, log: Logger): Promise<string> {
  const nats = redactUrl(urls.nats);
  const database = redactUrl(urls.database);
  let clusterId: string;
  try {
    clusterId = await readClusterId(db);
  } catch (err) {
    if (err instanceof ClusterIdMissingError) throw new DependencyError('PostgreSQL', database, err.message);
    throw new DependencyError('PostgreSQL', database, 'cannot read the cluster id', { cause: err });
  }
  try {
    const kv = await openClusterBucket(nc);
    await retryTimeouts(() => bindClusterId(kv, clusterId), {
      onRetry: (err, attempts) => log.warn('NATS is slow to answer: asking again for the cluster bucket', { err, attempts }),
    });
  } catch (err) {
    if (!(err instanceof ClusterMismatchError)) throw new DependencyError('NATS', nats, 'cannot read the cluster bucket', { cause: err });
    throw new ClusterConflictError(
      `NATS at ${nats} serves cluster ${err.natsClusterId}, but PostgreSQL at ${database} belongs to cluster ${err.databaseClusterId}: ` +
        'one cluster has one database; set NATS_URL and DATABASE_URL to the servers of the same cluster (a new database needs a NATS of its own)',
      { cause: err },
    );
  }
  return clusterId;
}
