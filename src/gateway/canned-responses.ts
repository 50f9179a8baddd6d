import { Liquid } from 'liquidjs';
import { z } from 'zod';
import { ResourceName } from '../contract/index.ts';
import type { CannedResponseRow, DesktopDb } from './desktop-tables.ts';
import type { CannedResponseView } from './desktop-views.ts';

/**
 * The response library: canned responses per tenant, tenant-wide or for one queue, whose
 * bodies are Liquid templates filled in by the desktop (`{{ customer.name }}`,
 * `{{ agent.name }}`, `{{ conversation.queue }}`).
 */

// The body is parsed (not rendered) on save, so a broken template is refused at once
// instead of failing in front of an agent.
const liquid = new Liquid({ strictFilters: true });

const noNul = (s: string) => !s.includes('\u0000');

/** The body of a create or a replace. */
export const CannedResponseInput = z.strictObject({
  /** Absent or null: for every queue of the tenant. */
  queue: ResourceName.nullable().optional(),
  /** What agents type after `/` in the composer. */
  shortcut: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,31}$/, 'shortcuts are 2–32 lowercase letters, digits, "-" or "_"'),
  title: z.string().trim().min(1).max(120).refine(noNul, 'no NUL characters'),
  body: z
    .string()
    .min(1)
    .max(4096)
    .refine(noNul, 'no NUL characters')
    .superRefine((body, ctx) => {
      try {
        liquid.parse(body);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a valid template: ${(err as Error).message.split('\n')[0] ?? ''}` });
      }
    }),
});
export type CannedResponseInput = z.infer<typeof CannedResponseInput>;

/** The search's query string. */
export const CannedResponseQuery = z.strictObject({
  /** Only responses for this queue and the tenant-wide ones. */
  queue: ResourceName.optional(),
  /** Words found in the shortcut, title or body (case-insensitive). */
  q: z.string().max(200).optional(),
});

/** Most responses one search answers with. */
export const MAX_CANNED_RESPONSES = 500;

export async function searchCannedResponses(db: DesktopDb, tenant: string, query: z.infer<typeof CannedResponseQuery>): Promise<CannedResponseView[]> {
  let select = db.selectFrom('canned_responses').selectAll().where('tenant', '=', tenant);
  if (query.queue !== undefined) {
    const queue = query.queue;
    select = select.where((eb) => eb.or([eb('queue', 'is', null), eb('queue', '=', queue)]));
  }
  for (const word of (query.q ?? '').split(/\s+/).filter(Boolean)) {
    // LIKE's own wildcards in what the user typed are matched literally.
    const pattern = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    select = select.where((eb) => eb.or([eb('shortcut', 'ilike', pattern), eb('title', 'ilike', pattern), eb('body', 'ilike', pattern)]));
  }
  const rows = await select.orderBy('shortcut').orderBy('queue').limit(MAX_CANNED_RESPONSES).execute();
  return rows.map(cannedView);
}

export async function insertCannedResponse(db: DesktopDb, tenant: string, author: string, input: CannedResponseInput): Promise<CannedResponseView> {
  const row = await db
    .insertInto('canned_responses')
    .values({ tenant, queue: input.queue ?? null, shortcut: input.shortcut, title: input.title, body: input.body, updated_by: author })
    .returningAll()
    .executeTakeFirstOrThrow();
  return cannedView(row);
}

/** `undefined` when the tenant has no such response. */
export async function replaceCannedResponse(db: DesktopDb, tenant: string, id: string, author: string, input: CannedResponseInput): Promise<CannedResponseView | undefined> {
  const row = await db
    .updateTable('canned_responses')
    .set({ queue: input.queue ?? null, shortcut: input.shortcut, title: input.title, body: input.body, updated_by: author, updated_at: new Date() })
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && cannedView(row);
}

/** Whether the tenant had that response. */
export async function deleteCannedResponse(db: DesktopDb, tenant: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('canned_responses').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function cannedView(row: CannedResponseRow): CannedResponseView {
  return {
    id: row.id,
    queue: row.queue,
    shortcut: row.shortcut,
    title: row.title,
    body: row.body,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  };
}
