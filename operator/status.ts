import type { CampaignProgress, Condition, ParleyObject, ReadyReason, ResourceStatus } from './resources.ts';

/** What reconcile concluded, before it becomes the `Ready` condition. */
export interface ReadyState {
  status: 'True' | 'False' | 'Unknown';
  reason: ReadyReason;
  message: string;
}

/** Kubernetes `metav1.Time`: RFC 3339 in whole seconds. */
export function kubeTime(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}

const zeroProgress: CampaignProgress = { total: 0, processed: 0, sent: 0, failed: 0, skipped: 0 };

/** Longest message written (the CRD allows 32768). */
const maxMessage = 4096;

/**
 * Sets the condition of `next.type` in `conditions` (keyed by type; others kept in their
 * order). `lastTransitionTime` moves only when `status` changes.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index < 0 ? undefined : list[index];
  const lastTransitionTime = previous && previous.status === next.status && previous.lastTransitionTime ? previous.lastTransitionTime : kubeTime(now);
  const condition: Condition = {
    type: next.type,
    status: next.status,
    ...(next.observedGeneration !== undefined && { observedGeneration: next.observedGeneration }),
    lastTransitionTime,
    reason: next.reason,
    message: next.message.length > maxMessage ? `${next.message.slice(0, maxMessage - 1)}…` : next.message,
  };
  if (index < 0) list.push(condition);
  else list[index] = condition;
  return list;
}

/**
 * The status patch that makes `obj` report `ready` for its current generation, or
 * `undefined` when the status already says exactly that (no write: a status write is a
 * watch event, and writing on every reconcile would feed a hot loop).
 */
export function statusPatch(obj: ParleyObject, ready: ReadyState, now: Date): ResourceStatus | undefined {
  const current = obj.status ?? {};
  const generation = obj.metadata.generation;
  const conditions = setCondition(current.conditions, { type: 'Ready', status: ready.status, observedGeneration: generation, reason: ready.reason, message: ready.message }, now);
  const patch: ResourceStatus = { conditions };
  if (generation !== undefined) patch.observedGeneration = generation;
  // Only when absent: once sending starts, the sender owns these numbers.
  if (obj.kind === 'Campaign' && current.progress === undefined) patch.progress = { ...zeroProgress };
  const unchanged =
    current.observedGeneration === patch.observedGeneration && patch.progress === undefined && canonical(current.conditions ?? []) === canonical(conditions);
  return unchanged ? undefined : patch;
}

/** The `Ready` condition, if any. */
export function readyCondition(obj: { status?: ResourceStatus }): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/** JSON with sorted keys: equal values, equal strings, whatever the key order the server returns. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
