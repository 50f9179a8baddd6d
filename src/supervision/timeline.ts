import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { TimelineEntry } from './views.ts';

/** Every step of the conversation, oldest first (ties keep the order above). */
export async function timelineOf(db: Kysely<Database>, tenant: string, conversationId: string): Promise<TimelineEntry[]> {
  const [conversation, journey, offers, messages, notes, evaluations] = await Promise.all([
    sql<{ created_at: Date; channel: string; started_by: 'customer' | 'agent'; replied_to: boolean }>`
      SELECT c.created_at, c.channel, c.started_by,
        EXISTS (SELECT 1 FROM campaign_attempts a WHERE a.tenant = c.tenant AND a.conversation_id = c.id)
          OR EXISTS (SELECT 1 FROM notifications n WHERE n.tenant = c.tenant AND n.conversation_id = c.id) AS replied_to
      FROM conversations c WHERE c.tenant = ${tenant} AND c.id = ${conversationId}::uuid`
      .execute(db)
      .then((r) => r.rows[0]),
    sql<{ at: Date; kind: string; cause: string | null; queue: string | null; from_queue: string | null; agent_id: string | null }>`
      SELECT at, kind, cause, queue, from_queue, agent_id FROM conversation_journey
      WHERE tenant = ${tenant} AND conversation_id = ${conversationId} ORDER BY id`
      .execute(db)
      .then((r) => r.rows),
    db.selectFrom('assignments').selectAll().where('tenant', '=', tenant).where('conversation_id', '=', conversationId).orderBy('offered_at').execute(),
    db
      .selectFrom('messages')
      .select(['id', 'sent_at', 'direction', 'agent_id', 'text', 'attachments', 'content', 'delivery_status', 'delivery_reason'])
      .where('tenant', '=', tenant)
      .where('conversation_id', '=', conversationId)
      .orderBy('sent_at')
      .execute(),
    sql<{ id: string; author: string; text: string; created_at: Date }>`
      SELECT id, author, text, created_at FROM conversation_notes WHERE tenant = ${tenant} AND conversation_id = ${conversationId}::uuid ORDER BY created_at`
      .execute(db)
      .then((r) => r.rows),
    db
      .selectFrom('evaluations')
      .select(['id', 'created_at', 'evaluator', 'agent_id', 'score', 'critical_score', 'form_id'])
      .where('tenant', '=', tenant)
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at')
      .execute(),
  ]);
  if (!conversation) return [];

  const entries: { entry: TimelineEntry; rank: number }[] = [];
  const add = (at: Date, rank: number, entry: Omit<TimelineEntry, 'at'>) => entries.push({ entry: { at: new Date(at).toISOString(), ...entry } as TimelineEntry, rank });

  // Outbound as in the interactions view: an agent started it, or it answers a campaign message or a notification.
  const direction = conversation.started_by === 'agent' || conversation.replied_to ? 'outbound' : 'inbound';
  add(conversation.created_at, 0, { kind: 'created', channel: conversation.channel, direction, ...(conversation.started_by === 'agent' && { startedBy: 'agent' }) });
  for (const j of journey) add(j.at, j.kind === 'queued' ? 1 : 5, { kind: j.kind, queue: j.queue, ...(j.cause && { cause: j.cause }), ...(j.from_queue && j.from_queue !== j.queue && { fromQueue: j.from_queue }), ...(j.agent_id && { agentId: j.agent_id }) });
  for (const a of offers) {
    // A transfer's source is stored with the routing decision (the agent actor's assignment.offer): shown on its own.
    const { transferredBy, ...reason } = (a.reason ?? {}) as { transferredBy?: unknown };
    add(a.offered_at, 2, { kind: 'offer', offerId: a.id, agentId: a.agent_id, queue: a.queue, reason, ...(transferredBy !== undefined && { transferredBy }) });
    if (a.answered_at) add(a.answered_at, 3, { kind: 'accepted', offerId: a.id, agentId: a.agent_id });
    if (a.ended_at && a.state !== 'ended' && a.state !== 'accepted') add(a.ended_at, 3, { kind: a.state, offerId: a.id, agentId: a.agent_id });
    if (a.ended_at && a.state === 'ended') add(a.ended_at, 4, { kind: 'ended', offerId: a.id, agentId: a.agent_id, wrapUpCode: a.wrap_up_code });
  }
  for (const m of messages) {
    add(m.sent_at, 5, {
      kind: 'message',
      messageId: m.id,
      direction: m.direction,
      agentId: m.agent_id,
      text: m.text,
      attachments: Array.isArray(m.attachments) ? m.attachments.length : 0,
      content: Array.isArray(m.content) ? m.content.length : 0,
      ...(m.delivery_status && { deliveryStatus: m.delivery_status }),
      ...(m.delivery_reason && { deliveryReason: m.delivery_reason }),
    });
  }
  for (const n of notes) add(n.created_at, 6, { kind: 'note', noteId: n.id, author: n.author, text: n.text });
  for (const e of evaluations) add(e.created_at, 7, { kind: 'evaluation', evaluationId: e.id, formId: e.form_id, evaluator: e.evaluator, agentId: e.agent_id, score: e.score, criticalScore: e.critical_score });

  return entries
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.rank - b.rank || a.i - b.i)
    .map((e) => e.entry);
}
