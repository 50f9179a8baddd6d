import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { assertSchemaRunnable, MIGRATION_TABLE } from './schema-floor.ts';
import * as initial from './migrations/2026-11-22T0001-initial.ts';
import * as wrapUp from './migrations/2026-11-22T0002-wrap-up.ts';
import * as partitions from './migrations/2026-11-22T0003-partitions.ts';
import * as timerTenant from './migrations/2026-11-22T0004-timer-tenant.ts';
import * as outboxTraceContext from './migrations/2026-12-04T0001-outbox-trace-context.ts';
import * as providerSentAt from './migrations/2026-12-04T0005-provider-sent-at.ts';
import * as clusterId from './migrations/2026-12-04T0006-cluster-id.ts';
import * as contactsAndConsent from './migrations/2026-12-04T0010-contacts-and-consent.ts';
import * as channelService from './migrations/2026-12-05T01-channel-service.ts';
import * as email from './migrations/2026-12-05T0201-email.ts';
import * as webAttachments from './migrations/2026-12-05T0301-web-attachments.ts';
import * as campaigns from './migrations/2026-12-05T0500-campaigns.ts';
import * as notifications from './migrations/2026-12-05T0601-notifications.ts';
import * as desktop from './migrations/2026-12-05T0701-desktop.ts';
import * as reportIntervals from './migrations/2026-12-05T0801-report-intervals.ts';
import * as quality from './migrations/2026-12-05T0802-quality.ts';
import * as unsubscribeMethod from './migrations/2026-12-06T0201-capi-unsubscribe-method.ts';
import * as copsCampaignReplies from './migrations/2026-12-06T0300-cops-campaign-replies.ts';
import * as viewsInteractions from './migrations/2026-12-06T0501-views-interactions.ts';
import * as reportsSkillsAfterWork from './migrations/2026-12-06T0601-reports-skills-after-work.ts';
import * as reportRollups from './migrations/2026-12-07T0101-rollups-report-rollups.ts';
import * as campaignCounts from './migrations/2026-12-07T0102-rollups-campaign-counts.ts';
import * as actorVersions from './migrations/2026-12-07T0300-vactors-actor-versions.ts';
import * as attemptResponses from './migrations/2026-12-07T0501-camp-attempt-responses.ts';
import * as agentAttachments from './migrations/2026-12-08T0317-upload-agent-attachments.ts';
import * as conversationStartedBy from './migrations/2026-12-08T0401-inter-conversation-started-by.ts';
import * as conversationTriggersOnChange from './migrations/2026-12-09T0101-conversation-triggers-on-change.ts';
import * as campaignRepliesPerStatement from './migrations/2026-12-09T0102-campaign-replies-per-statement.ts';
import * as campaignActors from './migrations/2026-12-10T0101-campaign-actors.ts';
import * as agentSlots from './migrations/2026-12-11T0101-agent-slots-in-assignments.ts';

/**
 * Migrations listed explicitly, so they work the same from source, a bundle or a test.
 * The previous release runs beside each of them during a rolling upgrade: one it cannot
 * run beside (a column it reads dropped, rows it cannot read) calls
 * `raiseSchemaFloor(db, '<its name>')` in its `up` (see `schema-floor.ts`).
 */
export const parleyMigrations: Readonly<Record<string, Migration>> = {
  '2026-11-22T0001-initial': initial,
  '2026-11-22T0002-wrap-up': wrapUp,
  '2026-11-22T0003-partitions': partitions,
  '2026-11-22T0004-timer-tenant': timerTenant,
  '2026-12-04T0001-outbox-trace-context': outboxTraceContext,
  '2026-12-04T0005-provider-sent-at': providerSentAt,
  '2026-12-04T0006-cluster-id': clusterId,
  '2026-12-04T0010-contacts-and-consent': contactsAndConsent,
  '2026-12-05T01-channel-service': channelService,
  '2026-12-05T0201-email': email,
  '2026-12-05T0301-web-attachments': webAttachments,
  '2026-12-05T0500-campaigns': campaigns,
  '2026-12-05T0601-notifications': notifications,
  '2026-12-05T0701-desktop': desktop,
  '2026-12-05T0801-report-intervals': reportIntervals,
  '2026-12-05T0802-quality': quality,
  '2026-12-06T0201-capi-unsubscribe-method': unsubscribeMethod,
  '2026-12-06T0300-cops-campaign-replies': copsCampaignReplies,
  '2026-12-06T0501-views-interactions': viewsInteractions,
  '2026-12-06T0601-reports-skills-after-work': reportsSkillsAfterWork,
  '2026-12-07T0101-rollups-report-rollups': reportRollups,
  '2026-12-07T0102-rollups-campaign-counts': campaignCounts,
  '2026-12-07T0300-vactors-actor-versions': actorVersions,
  '2026-12-07T0501-camp-attempt-responses': attemptResponses,
  '2026-12-08T0317-upload-agent-attachments': agentAttachments,
  '2026-12-08T0401-inter-conversation-started-by': conversationStartedBy,
  '2026-12-09T0101-conversation-triggers-on-change': conversationTriggersOnChange,
  '2026-12-09T0102-campaign-replies-per-statement': campaignRepliesPerStatement,
  '2026-12-10T0101-campaign-actors': campaignActors,
  '2026-12-11T0101-agent-slots-in-assignments': agentSlots,
};

/** This release's migrations, in order: what it knows of the schema (see `schema-floor.ts`). */
export const knownMigrations: readonly string[] = Object.keys(parleyMigrations).sort();

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Brings the schema to the latest version; throws (and the process exits non-zero) on
 * failure. A database a newer release migrated is left as it is: this release runs on
 * it when none of the newer migrations raised the schema floor past what it knows, and
 * throws `SchemaTooNewError` otherwise. `all` is for tests that play a newer release.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema version, by design
export async function migrateToLatest(db: Kysely<any>, all: Readonly<Record<string, Migration>> = parleyMigrations): Promise<string[]> {
  const known = Object.keys(all).sort();
  const standing = await assertSchemaRunnable(db, known);
  if (standing.newer.length > 0) {
    if (standing.pending.length > 0) throw new MigrationError(`the database ran migrations this release does not know (${standing.newer.join(', ')}) but not all of its own (${standing.pending.join(', ')}): it was migrated by another line of releases`);
    return [];
  }
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...all }) };
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE, migrationLockTableName: 'parley_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    // Without a failed migration, the migrator could not start (no connection, no rights on the lock table…).
    const what = failed ? `migration ${failed.migrationName} failed` : 'the migrations could not run';
    const why = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : error === undefined ? '' : JSON.stringify(error);
    throw new MigrationError(why ? `${what}: ${why}` : what, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
