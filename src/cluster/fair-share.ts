import { partitionOf } from '../partition/index.ts';

/**
 * How many partitions a node should own: the count split evenly over the live members,
 * the first `count % members` of them (in name order) taking one more. Every node
 * computes the same split from the same member list.
 */
export function fairShare(members: readonly string[], node: string, count: number): number {
  const sorted = [...new Set([...members, node])].sort();
  const index = sorted.indexOf(node);
  const base = Math.floor(count / sorted.length);
  return base + (index < count % sorted.length ? 1 : 0);
}

/** The order in which a node tries to claim partitions: from its own starting point, so nodes do not all race for the same ones. */
export function claimOrder(node: string, count: number): number[] {
  const start = partitionOf(`node:${node}`, count);
  return Array.from({ length: count }, (_, i) => (start + i) % count);
}
