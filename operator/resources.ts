import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { CampaignRunState, ResourceKind } from '../src/config/index.ts';

/** The API group and version of the custom resources (crds/*.yaml). */
export const group = 'parley.dev';
export const version = 'v1alpha1';

/** The kinds the operator reconciles, in the order they are best applied (queues first). */
export const Kinds = ['Queue', 'Channel', 'Campaign'] as const satisfies readonly ResourceKind[];

export interface KindInfo {
  plural: string;
  /** `<kind>.<group>/finalizer`: removed only once the resource is out of the live configuration. */
  finalizer: string;
}

export const kindInfo: Record<ResourceKind, KindInfo> = {
  Channel: { plural: 'channels', finalizer: 'channel.parley.dev/finalizer' },
  Queue: { plural: 'queues', finalizer: 'queue.parley.dev/finalizer' },
  Campaign: { plural: 'campaigns', finalizer: 'campaign.parley.dev/finalizer' },
};

/** The `Ready` condition's reasons (`kubectl get` shows the reason in the READY column). */
export const ReadyReasons = {
  /** Seen, not yet acted on. */
  Reconciling: 'Reconciling',
  /** Valid and live in the routing configuration. */
  Ready: 'Ready',
  /** The spec or a reference is wrong; the message says what to fix. The last valid version stays live. */
  Invalid: 'Invalid',
  /**
   * Valid and live, but it names a Queue that does not exist (deleted, or not created yet):
   * routers go around it (docs/resources.md §8). Heals when the Queue appears.
   */
  MissingReference: 'MissingReference',
  /** Acting on it failed (configuration bucket unreachable, …); retried with backoff. */
  Errored: 'Errored',
  /** Being deleted: removing it from the live configuration. */
  Finalizing: 'Finalizing',
} as const;
export type ReadyReason = (typeof ReadyReasons)[keyof typeof ReadyReasons];

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  /** RFC 3339, seconds: when `status` last changed. */
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Campaign sending progress, as the campaign processes report it (zeros until one does). */
export interface CampaignProgress {
  total: number;
  processed: number;
  sent: number;
  delivered?: number;
  failed: number;
  skipped: number;
  skippedByReason?: Record<string, number>;
  waiting?: number;
  replied?: number;
}

export interface ResourceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Campaign only: the Campaign actor's state, progress, start and end. */
  state?: CampaignRunState;
  progress?: CampaignProgress;
  startedAt?: string;
  endedAt?: string;
}

/** A Channel, Queue or Campaign as the API server returns it. */
export interface ParleyObject extends KubernetesObject {
  apiVersion: string;
  kind: ResourceKind;
  metadata: V1ObjectMeta;
  spec?: unknown;
  status?: ResourceStatus;
}

/** Whether the object is on its way out (deletionTimestamp set). */
export function isTerminating(obj: KubernetesObject): boolean {
  return obj.metadata?.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}
