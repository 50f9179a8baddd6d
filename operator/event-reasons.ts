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
  /** Warning: a Campaign is live but cannot run (a missing contact list, …); the message says why. */
  CannotRun: 'CannotRun',
  /** Normal: a Campaign started sending, or resumed. */
  Running: 'Running',
  /** Normal: a Campaign was paused. */
  Paused: 'Paused',
  /** Normal: a Campaign attempted every contact of its list. */
  Completed: 'Completed',
  /** Normal: a Campaign was stopped for good. */
  Stopped: 'Stopped',
} as const;
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];

/** Records a Kubernetes Event about an object. Best effort: never fails the caller. */
export interface EventRecorder {
  record(obj: ParleyObject, type: 'Normal' | 'Warning', reason: EventReason, note: string): void;
}
