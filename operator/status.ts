import type { CampaignProblemReason, CampaignRunState, CampaignStatusReport } from '../src/config/index.ts';
import type { CampaignProgress, Condition, ParleyObject, ReadyReason, ResourceStatus } from './resources.ts';

/** What reconcile concluded, before it becomes the `Ready` condition. */
export interface ReadyState {
  status: 'True' | 'False' | 'Unknown';
  /** A `ReadyReasons` value, or for a Campaign that cannot run a `CampaignProblemReasons` one. */
  reason: ReadyReason | CampaignProblemReason;
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
 * The status patch that makes `obj` report `ready` for its current generation — and, for
 * a Campaign, what the campaign processes last reported (`report`) — or `undefined` when
 * the status already says exactly that (no write: a status write is a watch event, and
 * writing on every reconcile would feed a hot loop).
 */
export function statusPatch(obj: ParleyObject, ready: ReadyState, now: Date, report?: CampaignStatusReport): ResourceStatus | undefined {
  const current = obj.status ?? {};
  const generation = obj.metadata.generation;
  let conditions = setCondition(current.conditions, { type: 'Ready', status: ready.status, observedGeneration: generation, reason: ready.reason, message: ready.message }, now);
  let campaign: ResourceStatus = {};
  if (obj.kind === 'Campaign' && report) {
    campaign = campaignFields(report);
    conditions = setCondition(conditions, { ...completedCondition(report.state), observedGeneration: generation }, now);
  } else if (obj.kind === 'Campaign' && current.progress === undefined) {
    // Zeros until a campaign process reports: the printer columns show 0, not blanks.
    campaign = { progress: { ...zeroProgress } };
  }
  const patch: ResourceStatus = { conditions, ...campaign };
  if (generation !== undefined) patch.observedGeneration = generation;
  const unchanged =
    current.observedGeneration === patch.observedGeneration &&
    canonical(current.conditions ?? []) === canonical(conditions) &&
    Object.entries(campaign).every(([field, value]) => canonical(current[field as keyof ResourceStatus]) === canonical(value));
  return unchanged ? undefined : patch;
}

/** The Campaign's own status fields from a report. */
function campaignFields(report: CampaignStatusReport): ResourceStatus {
  return {
    state: report.state,
    progress: { ...report.progress },
    ...(report.startedAt !== null && { startedAt: report.startedAt }),
    ...(report.endedAt !== null && { endedAt: report.endedAt }),
  };
}

/** `Completed`: True once every contact was attempted; while False, the state says why not yet (or never: Stopped). */
function completedCondition(state: CampaignRunState): Omit<Condition, 'lastTransitionTime'> {
  const messages: Record<CampaignRunState, string> = {
    scheduled: 'Not started.',
    running: 'Sending.',
    paused: 'Paused; resumes where it stopped.',
    completed: 'Every contact of the list was attempted.',
    stopped: 'Stopped before every contact was attempted; the others will not be reached.',
  };
  const reason = `${state.charAt(0).toUpperCase()}${state.slice(1)}`;
  return { type: 'Completed', status: state === 'completed' ? 'True' : 'False', reason, message: messages[state] };
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
