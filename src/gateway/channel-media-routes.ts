import { z } from 'zod';
import { encode, ParleyError } from '../contract/index.ts';
import { readEmailAttachment } from '../email/index.ts';
import { webSubjects, type AgentTypingSignal } from '../web-messaging/index.ts';
import { forbidden, isStaff } from './access.ts';
import { FileDownload } from './download.ts';
import { HttpProblem } from './http-errors.ts';
import { findConversation } from './queries.ts';
import { ConversationParams, describeIssues } from './route-schemas.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * What agents need of the e-mail and web-messaging channels: telling the customer that the
 * agent is typing, and downloading the attachments of customers' mails.
 */

const TypingInput = z.strictObject({ typing: z.boolean() });
const AttachmentParams = z.object({ attachmentId: z.uuid({ error: 'the attachmentId must be a UUID' }) });

/**
 * Whether the caller may read the conversations of this customer: staff always (in their
 * tenant); an agent when one of the customer's conversations is assigned to them now or
 * was offered to them (the history route shows them the customer's other conversations too).
 */
export async function mayReadCustomer(ctx: RouteContext, customerId: string): Promise<boolean> {
  if (isStaff(ctx.claims)) return true;
  const { db } = ctx.deps;
  const row = await db
    .selectFrom('conversations as c')
    .select('c.id')
    .where('c.tenant', '=', ctx.claims.tenant)
    .where('c.customer_id', '=', customerId)
    .where((eb) =>
      eb.or([
        eb('c.agent_id', '=', ctx.claims.sub),
        eb.exists(eb.selectFrom('assignments as a').select('a.id').whereRef('a.tenant', '=', 'c.tenant').whereRef('a.conversation_id', '=', 'c.id').where('a.agent_id', '=', ctx.claims.sub)),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export const channelMediaRoutes: RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/conversations/:id/typing',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    status: 202,
    handler: async (ctx) => {
      const input = TypingInput.safeParse(ctx.body);
      if (!input.success) throw new ParleyError('invalidEnvelope', describeIssues(input.error.issues));
      const conversationId = ctx.params.id as string;
      const conversation = await findConversation(ctx.deps.db, ctx.claims.tenant, conversationId);
      if (!conversation) throw new ParleyError('unknownConversation');
      // Only the agent in the conversation types in it; the channels role checks it again.
      if (conversation.agentId !== ctx.claims.sub) throw forbidden('only the agent assigned to the conversation');
      const signal: AgentTypingSignal = { conversationId, agentId: ctx.claims.sub, typing: input.data.typing };
      ctx.deps.nc.publish(webSubjects.agentTyping(ctx.claims.tenant), encode(signal));
      return { typing: input.data.typing };
    },
  },
  {
    method: 'GET',
    url: '/v1/email-attachments/:attachmentId',
    auth: 'bearer',
    params: AttachmentParams,
    handler: async (ctx) => {
      const { tenant } = ctx.claims;
      const id = ctx.params.attachmentId as string;
      const found = await ctx.deps.db
        .withTables<{ email_attachments: { id: string; tenant: string; channel: string; mail_id: string } }>()
        .selectFrom('email_attachments as e')
        .innerJoin('messages as m', (join) => join.onRef('m.tenant', '=', 'e.tenant').onRef('m.channel', '=', 'e.channel').onRef('m.platform_message_id', '=', 'e.mail_id'))
        .innerJoin('conversations as c', (join) => join.onRef('c.tenant', '=', 'm.tenant').onRef('c.id', '=', 'm.conversation_id'))
        .select('c.customer_id')
        .where('e.tenant', '=', tenant)
        .where('e.id', '=', id)
        .limit(1)
        .executeTakeFirst();
      // Another tenant's attachment reads exactly like one that does not exist.
      if (!found) throw new HttpProblem('unknownAttachment');
      if (!(await mayReadCustomer(ctx, found.customer_id))) throw forbidden('the attachment belongs to a conversation this agent never handled');
      const content = await readEmailAttachment(ctx.deps.db, tenant, id);
      if (!content) throw new HttpProblem('unknownAttachment');
      const filename = (content.filename ?? 'attachment').replace(/[^\w.-]/g, '_');
      return new FileDownload(filename, content.contentType, content.content);
    },
  },
];
