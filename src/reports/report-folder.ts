import type { Kysely } from 'kysely';
import { ParleyError } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { asParleyError } from '../store/index.ts';
import { repeatedLog, type Logger } from '../observability/index.ts';
import { foldAttemptCounts } from '../campaigns/index.ts';
import { foldReportEvents, type QueueSkills } from './fold-events.ts';
import type { ReportMetrics } from './report-metrics.ts';

export interface ReportFolderOptions {
  db: Kysely<Database>;
  logger: Logger;
  metrics?: ReportMetrics | undefined;
  /** How long to wait after the facts ran out before looking again. @default 500 */
  pollMs?: number;
  /** Facts folded per transaction. @default 5000 */
  batchSize?: number;
  /** The skills each queue requires (the live configuration), counted with the conversation's own. */
  queueSkills?: QueueSkills | undefined;
}

export interface ReportFolder {
  /** Folds everything committed so far, then returns (tests, and shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps the interval aggregates current: folds committed facts every `pollMs`, at once
 * again while a whole batch was found. Any number of processes may run one: facts locked
 * by one are skipped by the others. A database error is logged and tried again later.
 */
export function startReportFolder(options: ReportFolderOptions): ReportFolder {
  const pollMs = options.pollMs ?? 500;
  const batchSize = options.batchSize ?? 5_000;
  const log = repeatedLog(options.logger.child({ component: 'report-folder' }));
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const foldAll = async (): Promise<void> => {
    for (;;) {
      const events = await foldReportEvents(options.db, batchSize, options.queueSkills);
      options.metrics?.folded(events);
      // Campaign attempt and list-size changes into their counters (readers add what is left: no lag).
      const counted = await foldAttemptCounts(options.db, batchSize);
      if (events.length < batchSize && counted < batchSize) return;
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await foldAll();
      } catch (err) {
        const error = asParleyError(err);
        const code = error instanceof ParleyError ? error.code : 'internal';
        log.error('folding report facts failed', { code, err: error instanceof Error ? error.message : String(error) });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
    }
  })();

  return {
    drain: foldAll,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      log.flush();
    },
  };
}
