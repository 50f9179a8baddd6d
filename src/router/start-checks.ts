import type { Kysely } from 'kysely';
import { IdTypes, type Customer, type ErrorCode, type IdType, type StartTemplate } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { addressOfIdentity, isSuppressed } from '../compliance/index.ts';
import { startRefusal, startRuleOf } from '../conversation/index.ts';
import { templateFirstMessage, type FirstMessage } from './start-template.ts';

type Address = Pick<Customer, 'id' | 'idType'>;

/** What an agent may start a conversation with, or why not. */
export type StartCheck = { ok: true; to: Address; first: FirstMessage } | { ok: false; error: ErrorCode; message: string };

/**
 * The checks before an agent starts a conversation: the channel exists and lets agents
 * write first, the customer has an address there, did not opt out and is on no
 * do-not-contact list, and the channel's window (if any) is open unless an approved
 * template starts it (then the template exists and its parameters fit). The channels sender
 * checks opt-outs again at send time, as for every message.
 */
export async function checkStart(
  db: Kysely<Database>,
  config: ConfigRegistry,
  request: { tenant: string; channel: string; to?: Address | undefined; customerId?: string | undefined; text?: string | undefined; template?: StartTemplate | undefined },
  now: Date,
): Promise<StartCheck> {
  const { tenant } = request;
  const channel = config.channel(tenant, request.channel);
  if (!channel) return { ok: false, error: 'unknownChannel', message: `channel ${request.channel} is not configured` };
  const rule = startRuleOf(channel.type);
  if (rule.kind === 'never') return { ok: false, error: 'outboundNotAllowed', message: `a ${channel.type} channel does not let an agent start a conversation` };
  const fromTemplate = request.template && templateFirstMessage(channel, request.template);
  if (fromTemplate && !fromTemplate.ok) return fromTemplate;

  const to = request.to ?? (request.customerId ? await addressOn(db, tenant, channel.name, channel.type, request.customerId) : undefined);
  if (!to) return { ok: false, error: 'noCustomerAddress', message: `the customer has no address on channel ${channel.name}` };

  const address = addressOfIdentity(to);
  const suppressed = address === undefined ? null : await isSuppressed(db, tenant, address, channel.type);
  if (suppressed) {
    const why = suppressed.reason === 'opted-out' ? `opted out on ${suppressed.since.toISOString()}` : `is on the do-not-contact list ${suppressed.listId}`;
    return { ok: false, error: 'customerOptedOut', message: `the customer ${why}` };
  }

  // An approved template is what WhatsApp allows outside the window.
  if (rule.kind === 'within-window' && !fromTemplate) {
    const refusal = startRefusal(rule, await lastInboundAt(db, tenant, channel.name, to), now);
    if (refusal) return { ok: false, error: refusal, message: `the customer has not written on ${channel.name} in the last ${rule.windowMs / 3_600_000} h: only a template may start a conversation` };
  }
  return { ok: true, to, first: fromTemplate ? fromTemplate.first : { text: request.text ?? '' } };
}

/** The customer's address on the channel: its identity there, else its phone (SMS, WhatsApp) or e-mail (e-mail channels). */
async function addressOn(db: Kysely<Database>, tenant: string, channel: string, type: string, customerId: string): Promise<Address | undefined> {
  const rows = await db.selectFrom('identities').select(['kind', 'channel', 'value']).where('tenant', '=', tenant).where('customer_id', '=', customerId).execute();
  const own = rows.find((r) => r.kind === 'channel' && r.channel === channel);
  if (own) {
    const split = own.value.indexOf(':');
    const idType = own.value.slice(0, split);
    if (IdTypes.includes(idType as IdType)) return { id: own.value.slice(split + 1), idType: idType as IdType };
  }
  const phone = rows.find((r) => r.kind === 'phone');
  if (phone && (type === 'sms' || type === 'whatsapp')) return { id: phone.value, idType: 'phone' };
  const email = rows.find((r) => r.kind === 'email');
  if (email && type === 'email') return { id: email.value, idType: 'email' };
  return undefined;
}

/** When the customer last wrote on the channel (the window's start). */
async function lastInboundAt(db: Kysely<Database>, tenant: string, channel: string, to: Address): Promise<Date | undefined> {
  const row = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select((eb) => eb.fn.max('messages.sent_at').as('at'))
    .where('conversations.tenant', '=', tenant)
    .where('conversations.channel', '=', channel)
    .where('conversations.external_id', '=', `${to.idType}:${to.id}`)
    .where('messages.direction', '=', 'inbound')
    .executeTakeFirst();
  return row?.at ? new Date(row.at) : undefined;
}
