/** The operator: turns Channel, Queue and Campaign resources into live configuration. */
import type { Operator, OperatorOptions } from './operator.ts';

export * from './sync-folder.ts';
export type { Operator, OperatorOptions, LeaderElectionSettings } from './operator.ts';
export { Controller, TerminalError, objectKey, splitKey, keyOf, type ControllerOptions, type EventSource, type ObjectEvent } from './controller.ts';
export { WorkQueue, Backoff, type BackoffOptions } from './work-queue.ts';
export { reconcile, Outcomes, ConfigBucketError, type Outcome, type ReconcileDeps } from './reconcile.ts';
export { validate, type Validation, type ExistingResources } from './validate.ts';
export { statusPatch, setCondition, readyCondition, kubeTime, type ReadyState } from './status.ts';
export type { ResourceWriter } from './kube-client.ts';
export type { ReconcileResult } from './metrics.ts';
export type { LeaderElectionOptions } from './leader.ts';
export * from './resources.ts';
export * from './event-reasons.ts';
export { CampaignReports, type CampaignReportSource } from './campaign-reports.ts';

/**
 * Starts the operator (informers, leader election, controllers): see `operator.ts`.
 *
 * The Kubernetes client takes about a second to load, so it is loaded here on first use
 * rather than by every process that imports this folder for `syncFolder`.
 */
export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const { startOperator: start } = await import('./operator.ts');
  return start(options);
}
