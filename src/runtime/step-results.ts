import type { OutboxRow } from '../store/index.ts';

/** One actor step's results, held until the transaction commits. */
export class StepResults {
  readonly outboxRows: OutboxRow[] = [];
  readonly after: (() => void)[] = [];
}
