/**
 * Partitions: every conversation, agent and queue hashes into one of a fixed number of
 * partitions, and each partition has one owner node at a time. The hash is FNV-1a
 * (32 bit) of a key that never changes for the actor, so any process computes the same
 * partition without asking anyone. Changing the count moves actors between partitions:
 * it is a migration (see `repartition`), not a setting to flip on a running cluster.
 */
export const DEFAULT_PARTITION_COUNT = 64;
export const MAX_PARTITION_COUNT = 1024;

export function partitionOf(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/**
 * A conversation belongs with its key — the customer's identity on a channel — so every
 * message of that identity, and the conversation that starts from it, lands on one node.
 */
export function conversationPartitionKey(tenant: string, channel: string, externalId: string): string {
  return `conversation:${tenant}/${channel}/${externalId}`;
}

export function agentPartitionKey(tenant: string, agentId: string): string {
  return `agent:${tenant}/${agentId}`;
}

/** A queue's scheduler runs on the owner of this partition (the queue leader). */
export function queuePartitionKey(tenant: string, queue: string): string {
  return `queue:${tenant}/${queue}`;
}

/** A campaign's actor, and the runner that sends its messages, live on the owner of this partition. */
export function campaignPartitionKey(tenant: string, name: string): string {
  return `campaign:${tenant}/${name}`;
}
