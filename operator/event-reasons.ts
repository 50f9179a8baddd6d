import type { ParleyObject } from './resources.ts';

/** `reportingController` of every Event the operator records. */
export const REPORTING_CONTROLLER = 'parley.dev/operator';

/** The reasons of the operator's Events (docs/operations.md §12). */
export const EventReasons = {
  /** Normal: valid and live (created, or a new generation applied). */
  Reconciled: 'Reconciled',
  /** Warning: Parley refused the spec; the message says what to fix. */
  Invalid: 'Invalid',
  /** Warning: live, but it names a Queue that does not exist. */
  MissingReference: 'MissingReference',
  /** Warning: writing it to the configuration bucket failed; retried. */
  Errored: 'Errored',
  /** Normal: out of the live configuration, finalizer removed. */
  Deleted: 'Deleted',
} as const;
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];

/** Records a Kubernetes Event about an object. Best effort: never fails the caller. */
export interface EventRecorder {
  record(obj: ParleyObject, type: 'Normal' | 'Warning', reason: EventReason, note: string): void;
}
