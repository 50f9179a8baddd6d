import { EventsV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../src/observability/index.ts';
import { REPORTING_CONTROLLER, type EventReason, type EventRecorder } from './event-reasons.ts';
import type { ParleyObject } from './resources.ts';

/** The most an Event's note may hold (the API server refuses more than 1 kB). */
const maxNote = 1024;

/**
 * Records Events through `events.k8s.io/v1` (`create` on `events` in the object's
 * namespace: the RBAC the operator needs). The caller decides when: once per change of
 * what the status says, never on a resync that changes nothing.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly api: EventsV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly instance: string,
    private readonly log?: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(EventsV1Api);
  }

  record(obj: ParleyObject, type: 'Normal' | 'Warning', reason: EventReason, note: string): void {
    const namespace = obj.metadata.namespace ?? 'default';
    const name = obj.metadata.name ?? '';
    const body = {
      metadata: { generateName: `${name}.`, namespace },
      eventTime: new V1MicroTime(Date.now()),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.instance,
      action: 'Reconcile',
      reason,
      type,
      note: note.length > maxNote ? `${note.slice(0, maxNote - 1)}…` : note,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace,
        name,
        ...(obj.metadata.uid && { uid: obj.metadata.uid }),
        ...(obj.metadata.resourceVersion && { resourceVersion: obj.metadata.resourceVersion }),
      },
    };
    this.api.createNamespacedEvent({ namespace, body }).catch((err: unknown) => this.log?.warn('recording an Event failed', { kind: obj.kind, namespace, name, reason, err }));
  }
}
