import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/** Quality evaluation: supervisors' forms, and evaluators' scores of closed conversations. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('evaluation_forms')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // Immutable once created: evaluations keep meaning what they meant. A new version is a new form.
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('archived_at', 'timestamptz')
    .addPrimaryKeyConstraint('evaluation_forms_pk', ['tenant', 'id'])
    .execute();
  await db.schema
    .createTable('evaluations')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('form_id', 'uuid', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id'))
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('evaluator', 'text', (c) => c.notNull())
    .addColumn('answers', 'jsonb', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('critical_score', 'double precision')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('evaluations_pk', ['tenant', 'id'])
    .addForeignKeyConstraint('evaluations_form', ['tenant', 'form_id'], 'evaluation_forms', ['tenant', 'id'])
    .execute();
  await db.schema.createIndex('evaluations_agent_time').on('evaluations').columns(['tenant', 'agent_id', 'created_at']).execute();
  await db.schema.createIndex('evaluations_conversation').on('evaluations').columns(['tenant', 'conversation_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('evaluations').execute();
  await db.schema.dropTable('evaluation_forms').execute();
}
