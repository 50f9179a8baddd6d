import { sql, type Kysely, type Transaction } from 'kysely';
import type { ChannelType, InboundMessage, OutboundMessage } from '../contract/index.ts';
import type { ConsentEventRow, Database } from '../store/index.ts';
import { complianceAnswerText, type ChannelComplianceSettings } from './channel-compliance.ts';
import { recordConsent } from './consent-ledger.ts';
import { derivedUuid } from './derived-id.ts';
import { classifyKeyword, type KeywordMatch } from './keywords.ts';
import { addressOfIdentity } from './recipient-address.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The channel kinds whose inbound messages are checked for keywords (carrier and Meta rules). */
export const KeywordChannelKinds: readonly ChannelType[] = ['sms', 'whatsapp'];

/** The Channel an inbound message came through, as the keyword handling needs it. */
export interface KeywordChannel {
  kind: ChannelType;
  compliance: ChannelComplianceSettings;
}

export interface InboundKeywordResult {
  match: KeywordMatch;
  /** The ledger event written; null when nothing changed (HELP, a repeated STOP, a redelivery). */
  recorded: ConsentEventRow | null;
  /**
   * The answer to send at once (`origin.kind = 'compliance'`), or null: a second STOP from an
   * address already opted out gets no second confirmation.
   */
  answer: OutboundMessage | null;
}

/**
 * Compliance keywords on one inbound SMS or WhatsApp message, handled *before* the message
 * is published (so an opt-out holds before anything else can be sent):
 *
 * - opt-out (STOP…): the consent ledger records it (who, when, channel, keyword, source)
 *   and the one confirmation is returned; already opted out → recorded, no answer;
 * - opt-in (START…): when the address is opted out, recorded and confirmed; otherwise it is
 *   an ordinary message ("yes" in a conversation) and null is returned;
 * - help (HELP, INFO): the Channel's help text, nothing recorded.
 *
 * Handling the same message twice (a redelivery) records nothing more and returns the same
 * answer with the same id, which the outbound stream de-duplicates. Returns null for an
 * ordinary message, another channel kind, or a customer without a phone or e-mail address.
 */
export async function applyInboundKeyword(db: Db, message: InboundMessage, channel: KeywordChannel): Promise<InboundKeywordResult | null> {
  if (!KeywordChannelKinds.includes(channel.kind)) return null;
  const match = classifyKeyword(message.text, channel.compliance.keywords);
  if (!match) return null;
  const address = addressOfIdentity(message.from);
  if (!address) return null;
  const source = `inbound ${message.channel}/${message.messageId}`;
  const answer = (kind: KeywordMatch['kind']): OutboundMessage => complianceAnswer(message, channel.compliance, kind);
  if (match.kind === 'help') return { match, recorded: null, answer: answer('help') };

  const earlier = await db
    .selectFrom('consent_events')
    .select('state')
    .where('tenant', '=', message.tenant)
    .where('address', '=', address)
    .where('source', '=', source)
    .executeTakeFirst();
  if (earlier) return { match, recorded: null, answer: answer(match.kind) };

  const current = await currentState(db, message.tenant, address);
  if (match.kind === 'opt-in' && current !== 'opted-out') return null;
  const recorded = await recordConsent(db, match.kind === 'opt-out' ? 'opted-out' : 'opted-in', {
    tenant: message.tenant,
    address,
    method: 'keyword',
    keyword: message.text?.trim() ?? match.keyword,
    channel: message.channel,
    channelKind: channel.kind,
    source,
    occurredAt: new Date(message.timestamp),
  });
  const repeated = match.kind === 'opt-out' && current === 'opted-out';
  return { match, recorded, answer: repeated ? null : answer(match.kind) };
}

async function currentState(db: Db, tenant: string, address: string): Promise<string | undefined> {
  const { rows } = await sql<{ state: string }>`SELECT state FROM consent_states WHERE tenant = ${tenant} AND address = ${address}`.execute(db);
  return rows[0]?.state;
}

/** The compliance answer to an inbound message, back to its sender on the same Channel. */
export function complianceAnswer(message: InboundMessage, settings: ChannelComplianceSettings, kind: KeywordMatch['kind'], now = new Date()): OutboundMessage {
  return {
    version: 1,
    id: derivedUuid(`answer:${message.tenant}:${message.channel}:${message.messageId}`),
    tenant: message.tenant,
    channel: message.channel,
    // Not part of a conversation (it may be answered before the router sees the message):
    // one derived from the customer keeps every answer to them together.
    conversationId: derivedUuid(`compliance:${message.tenant}:${message.channel}:${message.from.idType}:${message.from.id}`),
    to: { id: message.from.id, idType: message.from.idType },
    timestamp: now.toISOString(),
    text: complianceAnswerText(settings, kind),
    origin: { kind: 'compliance', answer: kind },
  };
}
