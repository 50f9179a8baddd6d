import type { KV } from '@nats-io/kv';
import { configKey, deleteManifest, putManifest, type ResourceKind } from '../src/config/index.ts';
import type { CampaignStatusReport } from '../src/config/index.ts';
import type { CampaignReportSource } from './campaign-reports.ts';
import type { EventRecorder } from './event-reasons.ts';
import type { ResourceWriter } from './kube-client.ts';
import { EventReasons } from './event-reasons.ts';
import { isTerminating, kindInfo, ReadyReasons, type ParleyObject } from './resources.ts';
import { readyCondition, statusPatch, type ReadyState } from './status.ts';
import { validate, type ExistingResources } from './validate.ts';

export interface ReconcileDeps {
  /** The configuration bucket routers watch. */
  kv: KV;
  /** Status and finalizer writes (the API server). */
  writer: ResourceWriter;
  /** The other resources, from the informers' caches, for the reference checks. */
  existing: ExistingResources;
  /** Campaigns' status as the campaign processes report it; absent: Campaigns get zero progress. */
  campaignReports?: CampaignReportSource;
  /** Where Events go: one per change of what the status says (not on a resync that changes nothing). */
  events?: EventRecorder;
  /** @default () => new Date() */
  now?: () => Date;
}

/** What a reconcile did, for metrics and tests. */
export const Outcomes = {
  /** Valid and live. */
  Ready: 'ready',
  /** Valid and live, naming a Queue that does not exist: status says which. */
  MissingReference: 'missing_reference',
  /** A Campaign valid and live that a campaign process reports it cannot run: status says why. */
  CannotRun: 'cannot_run',
  /** Invalid: status says why; the bucket is untouched. */
  Invalid: 'invalid',
  /** Deleted: out of the bucket, our finalizer removed. */
  Finalized: 'finalized',
  /** Gone from the cluster: its bucket entry (if any) removed. */
  Absent: 'absent',
  /** Being deleted and our finalizer is not on it (someone else's cleanup pending). */
  Terminating: 'terminating',
} as const;
export type Outcome = (typeof Outcomes)[keyof typeof Outcomes];

/** A failure to reach the configuration bucket (NATS): retried with backoff. */
export class ConfigBucketError extends Error {
  override readonly name = 'ConfigBucketError';
}

/**
 * Brings the configuration bucket and the status of one resource in line with `obj`, the
 * latest object from the API server (`undefined`: it no longer exists):
 *
 * - gone → its bucket entry is removed;
 * - being deleted → status `Finalizing`, bucket entry removed, then our finalizer removed;
 * - otherwise → our finalizer ensured, then validated: valid → written to the bucket and
 *   `Ready=True`; invalid → `Ready=False` reason `Invalid` with what to fix, and the bucket
 *   keeps the last valid version.
 *
 * Every step is idempotent: run twice, it writes nothing the second time.
 */
export async function reconcile(kind: ResourceKind, namespace: string, name: string, obj: ParleyObject | undefined, deps: ReconcileDeps): Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const { finalizer } = kindInfo[kind];
  if (!obj) {
    await removeEntry(deps.kv, kind, namespace, name);
    return Outcomes.Absent;
  }
  if (isTerminating(obj)) {
    if (!obj.metadata.finalizers?.includes(finalizer)) {
      await removeEntry(deps.kv, kind, namespace, name);
      return Outcomes.Terminating;
    }
    await writeStatus(deps.writer, obj, { status: 'False', reason: ReadyReasons.Finalizing, message: 'Removing it from the live routing configuration.' }, now());
    await removeEntry(deps.kv, kind, namespace, name);
    // Only now: a finalizer removed before the cleanup succeeded would let the object go
    // while routers still use it.
    await deps.writer.removeFinalizer(obj, finalizer);
    deps.events?.record(obj, 'Normal', EventReasons.Deleted, `Removed from the live routing configuration${kind === 'Queue' ? '; its waiting conversations move on (docs/resources.md §8)' : ''}.`);
    return Outcomes.Finalized;
  }

  let current = obj;
  if (!current.metadata.finalizers?.includes(finalizer)) current = await deps.writer.addFinalizer(current, finalizer);

  const validation = validate(current, deps.existing);
  if (!validation.ok) {
    const live = await liveEntry(deps.kv, kind, namespace, name);
    const message = `${validation.problems.join('; ')}. ${live ? 'The last valid version stays live until this is fixed.' : 'Nothing is live until this is fixed.'}`;
    if (await writeStatus(deps.writer, current, { status: 'False', reason: ReadyReasons.Invalid, message }, now())) deps.events?.record(current, 'Warning', EventReasons.Invalid, message);
    return Outcomes.Invalid;
  }

  try {
    await putManifest(deps.kv, validation.manifest);
  } catch (err) {
    const failure = new ConfigBucketError(`cannot write ${configKey(kind, namespace, name)} to the configuration bucket: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    // Report it on the resource, then throw the bucket failure (the one to retry) even if
    // the report failed too: the next attempt reports again.
    const changed = await writeStatus(deps.writer, current, { status: 'False', reason: ReadyReasons.Errored, message: failure.message }, now()).catch((statusErr: unknown) => {
      throw new AggregateError([failure, statusErr], failure.message, { cause: err });
    });
    if (changed) deps.events?.record(current, 'Warning', EventReasons.Errored, failure.message);
    throw failure;
  }
  const report = kind === 'Campaign' ? deps.campaignReports?.get(namespace, name) : undefined;
  const write = (ready: ReadyState) => writeStatus(deps.writer, current, ready, now(), report);
  let outcome: Outcome;
  if (validation.dangling.length > 0) {
    const message = `${validation.dangling.join('; ')}. ${kind === 'Queue' ? 'Live otherwise; nothing overflows into a missing queue.' : "Live otherwise; new conversations for a missing queue go to the channel's queue, or, without one, are stored and not routed."}`;
    if (await write({ status: 'False', reason: ReadyReasons.MissingReference, message })) deps.events?.record(current, 'Warning', EventReasons.MissingReference, message);
    outcome = Outcomes.MissingReference;
  } else if (report?.problem) {
    const message = `${report.problem.message}. The campaign is in the configuration and starts once this is fixed.`;
    if (await write({ status: 'False', reason: report.problem.reason, message })) deps.events?.record(current, 'Warning', EventReasons.CannotRun, message);
    outcome = Outcomes.CannotRun;
  } else {
    const message = report ? 'Live in the configuration, and able to run.' : 'Live in the routing configuration.';
    if (await write({ status: 'True', reason: ReadyReasons.Ready, message })) deps.events?.record(current, 'Normal', EventReasons.Reconciled, message);
    outcome = Outcomes.Ready;
  }
  if (report && report.state !== current.status?.state) recordStateChange(current, report, deps.events);
  return outcome;
}

const stateEvents = { running: EventReasons.Running, paused: EventReasons.Paused, completed: EventReasons.Completed, stopped: EventReasons.Stopped } as const;

/** One Event per state the Campaign moves to (its status now says it; the next reconcile sees no change). */
function recordStateChange(obj: ParleyObject, report: CampaignStatusReport, events: EventRecorder | undefined): void {
  if (report.state === 'scheduled') return;
  const { processed, total, sent, failed, skipped } = report.progress;
  events?.record(obj, 'Normal', stateEvents[report.state], `Campaign ${report.state}: ${processed} of ${total} contacts processed (${sent} sent, ${failed} failed, ${skipped} skipped).`);
}

/**
 * Writes the status when it changes. Whether the Ready condition or the generation it
 * reports changed — what an Event reports; a Campaign's progress moving on is not news.
 */
async function writeStatus(writer: ResourceWriter, obj: ParleyObject, ready: ReadyState, now: Date, report?: CampaignStatusReport): Promise<boolean> {
  const patch = statusPatch(obj, ready, now, report);
  if (!patch) return false;
  await writer.patchStatus(obj, patch);
  const before = readyCondition(obj);
  return !before || before.status !== ready.status || before.reason !== ready.reason || before.message !== ready.message || obj.status?.observedGeneration !== patch.observedGeneration;
}

async function liveEntry(kv: KV, kind: ResourceKind, namespace: string, name: string): Promise<boolean> {
  try {
    const entry = await kv.get(configKey(kind, namespace, name));
    return entry?.operation === 'PUT';
  } catch (err) {
    throw new ConfigBucketError(`cannot read the configuration bucket: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Deletes the entry if it holds a resource (a delete of nothing would still add a marker). */
async function removeEntry(kv: KV, kind: ResourceKind, namespace: string, name: string): Promise<void> {
  try {
    if (await liveEntry(kv, kind, namespace, name)) await deleteManifest(kv, kind, namespace, name);
  } catch (err) {
    if (err instanceof ConfigBucketError) throw err;
    throw new ConfigBucketError(`cannot delete ${configKey(kind, namespace, name)} from the configuration bucket: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
