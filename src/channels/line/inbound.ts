import type { Attachment, RichContent } from '../../contract/index.ts';
import { fromUnixMillis, inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import type { ResolvedLineOptions } from './options.ts';

interface LineEvent {
  type?: string;
  webhookEventId?: string;
  timestamp?: number;
  replyToken?: string;
  source?: { type?: string; userId?: string };
  message?: {
    id?: string;
    type?: string;
    text?: string;
    fileName?: string;
    stickerId?: string;
    title?: string;
    address?: string;
    latitude?: number;
    longitude?: number;
  };
  postback?: { data?: string };
}

/** Content types of LINE's media messages (images are JPEG, videos MP4, audio M4A). */
const mediaType: Record<string, string> = { image: 'image/jpeg', video: 'video/mp4', audio: 'audio/m4a', file: 'application/octet-stream' };

function bodyOf(event: LineEvent, options: ResolvedLineOptions): { text?: string; attachments?: Attachment[]; content?: RichContent[] } {
  const message = event.message!;
  const type = message.type ?? '';
  if (type === 'text') return { text: message.text ?? '' };
  if (mediaType[type]) {
    // The content endpoint needs the access token: the server copies the file.
    const url = `${options.dataBaseUrl}/v2/bot/message/${encodeURIComponent(message.id ?? '')}/content`;
    return { attachments: [{ url, contentType: mediaType[type], ...(message.fileName ? { filename: message.fileName.slice(0, 255) } : {}) }] };
  }
  if (type === 'location' && message.latitude !== undefined && message.longitude !== undefined) {
    return {
      content: [{ type: 'location', latitude: message.latitude, longitude: message.longitude, ...(message.title ? { name: message.title } : {}), ...(message.address ? { address: message.address } : {}) }],
    };
  }
  if (type === 'sticker' && message.stickerId) {
    return { attachments: [{ url: `https://stickershop.line-scdn.net/stickershop/v1/sticker/${encodeURIComponent(message.stickerId)}/android/sticker.png`, contentType: 'image/png' }] };
  }
  throw new UnmappablePayloadError(`message type ${type || '(none)'} is not mapped`);
}

/**
 * Maps a verified LINE webhook: messages and postbacks from users become InboundMessages,
 * with their reply token. LINE reports no delivery or read statuses; follow, unfollow,
 * join and other events are not messages and are left out.
 */
export function parseLineWebhook(raw: Uint8Array, target: ChannelTarget, options: ResolvedLineOptions): WebhookEvent[] {
  const webhook = parseJsonBody(raw) as { destination?: string; events?: LineEvent[] };
  if (!Array.isArray(webhook?.events)) throw new UnmappablePayloadError('events is not an array');
  if (options.botUserId && webhook.destination !== options.botUserId) throw new UnmappablePayloadError("destination is not this channel's bot");
  const events: WebhookEvent[] = [];
  for (const event of webhook.events) {
    if (event.type !== 'message' && event.type !== 'postback') continue;
    const userId = event.source?.userId;
    if (!userId) throw new UnmappablePayloadError(`a ${event.type} event without source.userId`);
    const timestamp = fromUnixMillis(event.timestamp ?? 0, 'events[].timestamp');
    const messageId = event.type === 'message' ? event.message?.id : event.webhookEventId;
    if (!messageId) throw new UnmappablePayloadError(`a ${event.type} event without an id`);
    const body: { text?: string; attachments?: Attachment[]; content?: RichContent[] } =
      event.type === 'message' ? bodyOf(event, options) : { content: [{ type: 'buttonResponse', text: '', payload: event.postback?.data ?? '' }] };
    events.push({
      kind: 'inbound',
      message: inboundEnvelope({ tenant: target.tenant, channel: target.channel, messageId, timestamp, from: { id: userId, idType: 'opaque' }, ...body }),
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
    });
  }
  return events;
}
