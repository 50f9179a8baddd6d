import type { Attachment, Customer, RichContent } from '../../contract/index.ts';
import { fromUnixSeconds, inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, ProviderStatus, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import { whatsAppFailureReason } from './errors.ts';
import type { ResolvedWhatsAppOptions } from './options.ts';

interface Media { id: string; mime_type?: string; caption?: string; filename?: string }
interface Contact { profile?: { name?: string; username?: string }; wa_id?: string; user_id?: string }
interface Message {
  from?: string;
  from_user_id?: string;
  id: string;
  timestamp: string;
  type: string;
  text?: { body: string };
  image?: Media;
  video?: Media;
  audio?: Media;
  document?: Media;
  sticker?: Media;
  interactive?: { type: string; button_reply?: { id: string; title: string }; list_reply?: { id: string; title: string } };
  button?: { text: string; payload: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reaction?: { emoji?: string };
}
interface Status {
  id: string;
  status: string;
  timestamp: string;
  biz_opaque_callback_data?: string;
  errors?: { code: number; title?: string }[];
}
interface Value {
  metadata?: { phone_number_id?: string };
  contacts?: Contact[];
  messages?: Message[];
  statuses?: Status[];
}
interface Webhook {
  object?: string;
  entry?: { changes?: { field?: string; value?: Value }[] }[];
}

const mediaTypes = ['image', 'video', 'audio', 'document', 'sticker'] as const;
const receiptStatuses = new Set(['sent', 'delivered', 'read', 'failed']);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The customer: their business-scoped user id when WhatsApp gives one (it stays when the
 * phone is withheld), else their phone; the phone, when known, links them across channels.
 */
function customerOf(message: Message, contacts: Contact[]): Customer {
  const contact = contacts.find((c) => (message.from !== undefined && c.wa_id === message.from) || (c.user_id !== undefined && c.user_id === message.from_user_id)) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const phoneDigits = contact?.wa_id ?? message.from;
  const phone = phoneDigits && /^[1-9]\d{6,14}$/.test(phoneDigits) ? `+${phoneDigits}` : undefined;
  const bsuid = contact?.user_id ?? message.from_user_id;
  const name = contact?.profile?.name;
  const base = bsuid ? { id: bsuid, idType: 'opaque' as const } : phone ? { id: phone, idType: 'phone' as const } : undefined;
  if (!base) throw new UnmappablePayloadError('a message has neither a phone number nor a user_id');
  return { ...base, ...(name ? { name: name.slice(0, 256) } : {}), ...(phone ? { phone } : {}) };
}

function bodyOf(message: Message, options: ResolvedWhatsAppOptions): { text?: string; attachments?: Attachment[]; content?: RichContent[] } {
  const type = message.type;
  if (type === 'text' && message.text) return { text: message.text.body };
  if ((mediaTypes as readonly string[]).includes(type)) {
    const media = message[type as (typeof mediaTypes)[number]];
    if (!media?.id) throw new UnmappablePayloadError(`a ${type} message without a media id`);
    // The Graph media URL needs the access token: the server copies the file and puts its own URL.
    const attachment: Attachment = {
      url: `${options.baseUrl}/${options.apiVersion}/${encodeURIComponent(media.id)}`,
      contentType: media.mime_type ?? 'application/octet-stream',
      ...(media.filename ? { filename: media.filename.slice(0, 255) } : {}),
    };
    return { attachments: [attachment], ...(media.caption ? { text: media.caption } : {}) };
  }
  if (type === 'interactive') {
    const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
    if (!reply) throw new UnmappablePayloadError(`interactive type ${message.interactive?.type ?? '(none)'} is not mapped`);
    return { content: [{ type: 'buttonResponse', text: reply.title.slice(0, 100), payload: reply.id }] };
  }
  if (type === 'button' && message.button) {
    return { content: [{ type: 'buttonResponse', text: message.button.text.slice(0, 100), payload: message.button.payload }] };
  }
  if (type === 'location' && message.location) {
    const { latitude, longitude, name, address } = message.location;
    return { content: [{ type: 'location', latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) }] };
  }
  if (type === 'reaction' && message.reaction?.emoji) return { text: message.reaction.emoji };
  throw new UnmappablePayloadError(`message type ${type} is not mapped`);
}

function statusOf(status: Status): ProviderStatus | undefined {
  if (!receiptStatuses.has(status.status)) return undefined;
  const error = status.errors?.[0];
  const echoed = status.biz_opaque_callback_data;
  return {
    status: status.status as ProviderStatus['status'],
    timestamp: fromUnixSeconds(status.timestamp, 'statuses[].timestamp'),
    platformMessageId: status.id,
    ...(echoed && uuid.test(echoed) ? { messageId: echoed.toLowerCase() } : {}),
    ...(status.status === 'failed' ? { reason: error ? whatsAppFailureReason(error.code) : 'Failed' } : {}),
  };
}

/** Maps a verified WhatsApp Cloud API webhook to envelopes (messages and statuses). */
export function parseWhatsAppWebhook(raw: Uint8Array, target: ChannelTarget, options: ResolvedWhatsAppOptions): WebhookEvent[] {
  const webhook = parseJsonBody(raw) as Webhook;
  if (webhook?.object !== 'whatsapp_business_account') throw new UnmappablePayloadError('object is not whatsapp_business_account');
  if (!Array.isArray(webhook.entry)) throw new UnmappablePayloadError('entry is not an array');
  const events: WebhookEvent[] = [];
  for (const entry of webhook.entry) {
    for (const change of entry.changes ?? []) {
      if (change.field !== 'messages' || !change.value) continue;
      const value = change.value;
      const numberId = value.metadata?.phone_number_id;
      // One Meta app may serve several numbers: never file a message under the wrong channel.
      if (numberId !== options.phoneNumberId) throw new UnmappablePayloadError(`phone_number_id ${numberId ?? '(none)'} is not this channel's`);
      for (const message of value.messages ?? []) {
        if (typeof message?.id !== 'string') throw new UnmappablePayloadError('a message without an id');
        events.push({
          kind: 'inbound',
          message: inboundEnvelope({
            tenant: target.tenant,
            channel: target.channel,
            messageId: message.id,
            timestamp: fromUnixSeconds(message.timestamp, 'messages[].timestamp'),
            from: customerOf(message, value.contacts ?? []),
            ...bodyOf(message, options),
          }),
        });
      }
      for (const status of value.statuses ?? []) {
        const mapped = statusOf(status);
        if (mapped) events.push({ kind: 'status', status: mapped });
      }
    }
  }
  return events;
}
