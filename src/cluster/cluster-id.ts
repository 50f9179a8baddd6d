import type { KV } from '@nats-io/kv';

/** The key of the cluster bucket that names the database whose cluster it serves. */
export const CLUSTER_ID_KEY = 'cluster.id';

/** `cluster.id`: the cluster id of the database the routers on this NATS use. */
export interface ClusterIdValue {
  clusterId: string;
}

/** The cluster bucket belongs to another database than this process's. */
export class ClusterMismatchError extends Error {
  override readonly name = 'ClusterMismatchError';
  constructor(
    /** What the NATS cluster bucket records. */
    readonly natsClusterId: string,
    /** What this process's database holds. */
    readonly databaseClusterId: string,
  ) {
    super(`the NATS cluster bucket belongs to cluster ${natsClusterId}, the database to cluster ${databaseClusterId}`);
  }
}

/**
 * Records `clusterId` (the database's) in the cluster bucket unless one is there already,
 * by compare-and-set so that of two processes of different databases only one wins;
 * throws ClusterMismatchError when the bucket holds another one.
 */
export async function bindClusterId(kv: KV, clusterId: string): Promise<void> {
  const value = JSON.stringify({ clusterId } satisfies ClusterIdValue);
  for (let attempt = 0; attempt < 3; attempt++) {
    const entry = await kv.get(CLUSTER_ID_KEY);
    if (entry && entry.operation === 'PUT') {
      const recorded = recordedId(entry.string()) ?? '(unreadable)';
      if (recorded === clusterId) return;
      throw new ClusterMismatchError(recorded, clusterId);
    }
    try {
      // Never written (create), or deleted by hand (update over the delete marker).
      if (entry) await kv.update(CLUSTER_ID_KEY, value, entry.revision);
      else await kv.create(CLUSTER_ID_KEY, value);
      return;
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
      // Another process wrote it meanwhile: read what it wrote.
    }
  }
  throw new Error(`could not record the cluster id in the cluster bucket (${CLUSTER_ID_KEY} keeps changing)`);
}

function recordedId(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as Partial<ClusterIdValue>).clusterId;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

function isWrongRevision(err: unknown): boolean {
  const e = err as { message?: string; api_error?: { err_code?: number } };
  return e.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(e.message ?? '');
}
