import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ParleyError } from '../contract/index.ts';
import { forbidden } from './access.ts';
import { mayReadCustomer } from './channel-media-routes.ts';
import type { RouteSpec } from './routes.ts';
import type { StartedConversation } from './views.ts';

const CustomerRef = z.object({ customerId: z.uuid().optional() }).loose();

/**
 * An agent starts a conversation with a customer (outbound): the router checks the
 * channel, the customer's consent and the window, creates the conversation in the
 * caller's hands (a slot of its capacity, no queue, no offer) and sends the first
 * message (the text, or a WhatsApp channel's approved template). Agents and supervisors who take conversations may; the conversation is always
 * the caller's own. An agent names a known customer only if it may read their history.
 */
export const startConversationRoute: RouteSpec = {
  method: 'POST',
  url: '/v1/conversations',
  auth: 'bearer',
  body: true,
  status: 201,
  handler: async (ctx) => {
    const { claims, body } = ctx;
    if (claims.role === 'admin') throw forbidden('an admin takes no conversations');
    const ref = CustomerRef.safeParse(body);
    const customerId = ref.success ? ref.data.customerId : undefined;
    // Another tenant's customer, or one this agent never served: refused like a customer without an address.
    if (customerId !== undefined && !(await mayReadCustomer(ctx, customerId))) throw new ParleyError('noCustomerAddress', 'no such customer for this agent');
    const conversationId = randomUUID();
    const sent = await ctx.deps.commands.send({
      type: 'conversation.start',
      tenant: claims.tenant,
      agentId: claims.sub,
      conversationId,
      channel: body.channel,
      to: body.to,
      customerId: body.customerId,
      text: body.text,
      // WhatsApp: an approved template instead of the text (the router checks it against the channel).
      template: body.template,
    });
    // The first message is stored under the command's id, in the new conversation or in the customer's parked one that it continued.
    const first = await ctx.deps.db.selectFrom('messages').select('conversation_id').where('tenant', '=', claims.tenant).where('id', '=', sent.commandId).executeTakeFirst();
    return { conversationId: first?.conversation_id ?? conversationId, messageId: sent.commandId } satisfies StartedConversation;
  },
};
