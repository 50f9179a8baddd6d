import type { Kysely } from 'kysely';
import type { Logger } from '../observability/index.ts';
import { assertSchemaRunnable, knownMigrations, SchemaTooNewError } from '../store/index.ts';

/** How often a running process reads the database's schema floor (docs/operations.md, "Upgrading"). */
export const SCHEMA_CHECK_MS = 5_000;

/**
 * Reads the database's schema standing now and every `SCHEMA_CHECK_MS` while the process runs
 * (see `store/schema-floor.ts`): once a newer release raised the schema floor past what
 * this one knows, `tooNew` is called (the process stops). Newer migrations that leave the
 * floor where it was are logged once; the process goes on beside them. A failed read is
 * no verdict (the readiness probe reports the database): the next one decides.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads two tables any schema version has
export function watchSchema(db: Kysely<any>, log: Logger, tooNew: (err: SchemaTooNewError) => void): { stop(): void } {
  let newerSeen = '';
  let stopped = false;
  const check = async () => {
    try {
      const { newer } = await assertSchemaRunnable(db, knownMigrations);
      const latest = newer.at(-1) ?? '';
      if (latest !== newerSeen) {
        newerSeen = latest;
        if (latest) log.info('the database schema is newer than this release, and still runs it', { newer });
      }
    } catch (err) {
      if (!(err instanceof SchemaTooNewError)) return;
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      log.error('the database schema needs a newer release: this process stops', { err });
      tooNew(err);
    }
  };
  const timer = setInterval(() => void check(), SCHEMA_CHECK_MS);
  timer.unref();
  void check();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
