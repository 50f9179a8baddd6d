import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { EvaluationAnswers, EvaluationFormDefinition } from './evaluation-form.ts';
import { scoreEvaluation, type EvaluationScore } from './score-evaluation.ts';

type Db = Kysely<Database>;

export interface EvaluationFormView {
  id: string;
  name: string;
  definition: EvaluationFormDefinition;
  createdBy: string;
  createdAt: string;
  archived: boolean;
}

export interface EvaluationView extends EvaluationScore {
  id: string;
  formId: string;
  conversationId: string;
  agentId: string;
  evaluator: string;
  answers: EvaluationAnswers;
  comment: string | null;
  createdAt: string;
}

/** Why an evaluation cannot be recorded; the gateway answers each with its own problem. */
export type EvaluationRefusal = 'unknownForm' | 'formArchived' | 'unknownConversation' | 'conversationOpen' | 'agentNotOnConversation';

export class EvaluationRefused extends Error {
  override readonly name = 'EvaluationRefused';
  constructor(
    readonly reason: EvaluationRefusal,
    message: string,
  ) {
    super(message);
  }
}

export async function createForm(db: Db, tenant: string, definition: EvaluationFormDefinition, createdBy: string): Promise<EvaluationFormView> {
  const row = await db
    .insertInto('evaluation_forms')
    .values({ tenant, id: randomUUID(), name: definition.name, definition: JSON.stringify(definition), created_by: createdBy })
    .returningAll()
    .executeTakeFirstOrThrow();
  return formView(row);
}

export async function listForms(db: Db, tenant: string): Promise<EvaluationFormView[]> {
  const rows = await db.selectFrom('evaluation_forms').selectAll().where('tenant', '=', tenant).orderBy('created_at').execute();
  return rows.map(formView);
}

/** Archived forms stay readable (their evaluations refer to them) but take no new evaluation. */
export async function archiveForm(db: Db, tenant: string, id: string): Promise<boolean> {
  const r = await db.updateTable('evaluation_forms').set({ archived_at: new Date() }).where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Scores a wrapped-up or closed conversation for one of the agents who handled it (by default the last
 * one) and records the evaluation.
 * @throws EvaluationRefused, or EvaluationError for answers that do not fit the form.
 */
export async function recordEvaluation(
  db: Db,
  tenant: string,
  input: { formId: string; conversationId: string; agentId?: string | undefined; answers: EvaluationAnswers; comment?: string | undefined; evaluator: string },
): Promise<EvaluationView> {
  const form = await db.selectFrom('evaluation_forms').selectAll().where('tenant', '=', tenant).where('id', '=', input.formId).executeTakeFirst();
  if (!form) throw new EvaluationRefused('unknownForm', 'no such evaluation form');
  if (form.archived_at) throw new EvaluationRefused('formArchived', 'the form is archived');
  const conversation = await db.selectFrom('conversations').select(['state']).where('tenant', '=', tenant).where('id', '=', input.conversationId).executeTakeFirst();
  if (!conversation) throw new EvaluationRefused('unknownConversation', 'no such conversation');
  // Parked: the agent wrapped up and the conversation only waits to see whether the
  // customer writes again; the work being evaluated is done (Genesys evaluates an
  // interaction once its agents are disconnected, likewise).
  if (conversation.state !== 'closed' && conversation.state !== 'parked') throw new EvaluationRefused('conversationOpen', 'only a conversation no agent is working on (wrapped up or closed) can be evaluated');
  const handlers = await db
    .selectFrom('assignments')
    .select('agent_id')
    .where('tenant', '=', tenant)
    .where('conversation_id', '=', input.conversationId)
    .where('answered_at', 'is not', null)
    .orderBy('answered_at', 'desc')
    .execute();
  const agentId = input.agentId ?? handlers[0]?.agent_id;
  if (!agentId || !handlers.some((h) => h.agent_id === agentId)) {
    throw new EvaluationRefused('agentNotOnConversation', input.agentId ? `${input.agentId} never handled this conversation` : 'no agent handled this conversation');
  }
  const score = scoreEvaluation(form.definition as EvaluationFormDefinition, input.answers);
  const row = await db
    .insertInto('evaluations')
    .values({
      tenant,
      id: randomUUID(),
      form_id: form.id,
      conversation_id: input.conversationId,
      agent_id: agentId,
      evaluator: input.evaluator,
      answers: JSON.stringify(input.answers),
      comment: input.comment ?? null,
      score: score.score,
      critical_score: score.criticalScore,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return evaluationView(row);
}

export async function evaluationsOf(db: Db, tenant: string, conversationId: string): Promise<EvaluationView[]> {
  const rows = await db.selectFrom('evaluations').selectAll().where('tenant', '=', tenant).where('conversation_id', '=', conversationId).orderBy('created_at').execute();
  return rows.map(evaluationView);
}

/** Evaluations per agent over a period, for the agent report: count and mean scores. */
export async function agentScores(db: Db, tenant: string, from: Date, to: Date, agents?: readonly string[]) {
  let q = db
    .selectFrom('evaluations')
    .select(['agent_id', sql<number>`count(*)::int`.as('evaluations'), sql<number>`avg(score)`.as('averageScore'), sql<number | null>`avg(critical_score)`.as('averageCriticalScore')])
    .where('tenant', '=', tenant)
    .where('created_at', '>=', from)
    .where('created_at', '<', to);
  if (agents?.length) q = q.where('agent_id', 'in', agents);
  const rows = await q.groupBy('agent_id').orderBy('agent_id').execute();
  const round = (n: number | null) => (n === null ? null : Math.round(Number(n) * 100) / 100);
  return rows.map((r) => ({ agentId: r.agent_id, evaluations: r.evaluations, averageScore: round(r.averageScore), averageCriticalScore: round(r.averageCriticalScore) }));
}

function formView(r: { id: string; name: string; definition: unknown; created_by: string; created_at: Date; archived_at: Date | null }): EvaluationFormView {
  return { id: r.id, name: r.name, definition: r.definition as EvaluationFormDefinition, createdBy: r.created_by, createdAt: r.created_at.toISOString(), archived: r.archived_at !== null };
}

function evaluationView(r: {
  id: string;
  form_id: string;
  conversation_id: string;
  agent_id: string;
  evaluator: string;
  answers: unknown;
  comment: string | null;
  score: number;
  critical_score: number | null;
  created_at: Date;
}): EvaluationView {
  return {
    id: r.id,
    formId: r.form_id,
    conversationId: r.conversation_id,
    agentId: r.agent_id,
    evaluator: r.evaluator,
    answers: r.answers as EvaluationAnswers,
    comment: r.comment,
    score: r.score,
    criticalScore: r.critical_score,
    createdAt: r.created_at.toISOString(),
  };
}
