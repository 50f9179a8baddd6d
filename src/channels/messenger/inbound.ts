import type { Attachment, RichContent } from '../../contract/index.ts';
import { fromUnixMillis, inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import type { ResolvedMessengerOptions } from './options.ts';

interface MessagingEvent {
  sender?: { id?: string };
  recipient?: { id?: string };
  timestamp?: number;
  message?: {
    mid?: string;
    text?: string;
    is_echo?: boolean;
    is_deleted?: boolean;
    metadata?: string;
    quick_reply?: { payload?: string };
    attachments?: { type?: string; payload?: { url?: string; title?: string; coordinates?: { lat: number; long: number } } }[];
  };
  postback?: { mid?: string; title?: string; payload?: string };
  delivery?: { mids?: string[]; watermark?: number };
  read?: { watermark?: number; mid?: string };
}
interface Webhook {
  object?: string;
  entry?: { id?: string; time?: number; messaging?: MessagingEvent[] }[];
}

const objectOf = { messenger: 'page', instagram: 'instagram' } as const;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The attachment types' MIME ranges: Meta gives a CDN URL, not the file's exact type. */
const mediaType: Record<string, string> = { image: 'image/*', video: 'video/*', audio: 'audio/*', file: 'application/octet-stream' };

function bodyOf(message: NonNullable<MessagingEvent['message']>): { text?: string; attachments?: Attachment[]; content?: RichContent[] } {
  const attachments: Attachment[] = [];
  const content: RichContent[] = [];
  const links: string[] = [];
  for (const a of message.attachments ?? []) {
    const url = a.payload?.url;
    const coordinates = a.payload?.coordinates;
    if (a.type === 'location' && coordinates) content.push({ type: 'location', latitude: coordinates.lat, longitude: coordinates.long, ...(a.payload?.title ? { name: a.payload.title } : {}) });
    else if (a.type && url && mediaType[a.type]) attachments.push({ url, contentType: mediaType[a.type]! });
    // Shared links (`fallback`), story mentions, reels… reach the agent as their link.
    else if (url) links.push(url);
    else throw new UnmappablePayloadError(`an attachment of type ${a.type ?? '(none)'} without a URL`);
  }
  const quick = message.quick_reply?.payload;
  if (quick !== undefined) content.push({ type: 'buttonResponse', text: (message.text ?? '').slice(0, 100), payload: quick });
  const text = [quick === undefined ? message.text : undefined, ...links].filter(Boolean).join('\n');
  return { ...(text ? { text } : {}), ...(attachments.length ? { attachments } : {}), ...(content.length ? { content } : {}) };
}

/**
 * Maps a verified Messenger (`page`) or Instagram (`instagram`) webhook: customer messages
 * and postbacks become InboundMessages; echoes of our sends, deliveries and reads become
 * statuses (or watermarks when Meta names no message). Reactions, referrals and opt-ins are
 * not messages and are left out.
 */
export function parseMessengerWebhook(raw: Uint8Array, target: ChannelTarget, options: ResolvedMessengerOptions): WebhookEvent[] {
  const webhook = parseJsonBody(raw) as Webhook;
  if (webhook?.object !== objectOf[options.platform]) throw new UnmappablePayloadError(`object is not ${objectOf[options.platform]}`);
  if (!Array.isArray(webhook.entry)) throw new UnmappablePayloadError('entry is not an array');
  const events: WebhookEvent[] = [];
  for (const entry of webhook.entry) {
    if (entry.id !== options.accountId) throw new UnmappablePayloadError(`entry.id ${entry.id ?? '(none)'} is not this channel's account`);
    for (const event of entry.messaging ?? []) {
      const customer = event.message?.is_echo ? event.recipient?.id : event.sender?.id;
      if (!customer) throw new UnmappablePayloadError('an event without sender or recipient id');
      const timestamp = fromUnixMillis(event.timestamp ?? entry.time ?? 0, 'messaging[].timestamp');
      const from = { id: customer, idType: 'opaque' as const };
      if (event.message?.is_echo) {
        if (!event.message.mid) continue;
        const echoed = event.message.metadata;
        events.push({ kind: 'status', status: { status: 'sent', timestamp, platformMessageId: event.message.mid, ...(echoed && uuid.test(echoed) ? { messageId: echoed.toLowerCase() } : {}) } });
      } else if (event.message) {
        if (event.message.is_deleted) continue;
        if (!event.message.mid) throw new UnmappablePayloadError('a message without mid');
        events.push({ kind: 'inbound', message: inboundEnvelope({ tenant: target.tenant, channel: target.channel, messageId: event.message.mid, timestamp, from, ...bodyOf(event.message) }) });
      } else if (event.postback) {
        const { payload = '', title = '' } = event.postback;
        // Older postbacks carry no mid: their sender and time identify them.
        const messageId = event.postback.mid ?? `postback:${customer}:${event.timestamp ?? ''}`;
        events.push({ kind: 'inbound', message: inboundEnvelope({ tenant: target.tenant, channel: target.channel, messageId, timestamp, from, content: [{ type: 'buttonResponse', text: title.slice(0, 100), payload }] }) });
      } else if (event.delivery) {
        const mids = event.delivery.mids ?? [];
        for (const mid of mids) events.push({ kind: 'status', status: { status: 'delivered', timestamp, platformMessageId: mid } });
        if (mids.length === 0 && event.delivery.watermark) {
          events.push({ kind: 'watermark', watermark: { status: 'delivered', customerId: customer, upTo: fromUnixMillis(event.delivery.watermark, 'delivery.watermark') } });
        }
      } else if (event.read) {
        if (event.read.mid) events.push({ kind: 'status', status: { status: 'read', timestamp, platformMessageId: event.read.mid } });
        else if (event.read.watermark) events.push({ kind: 'watermark', watermark: { status: 'read', customerId: customer, upTo: fromUnixMillis(event.read.watermark, 'read.watermark') } });
      }
    }
  }
  return events;
}
