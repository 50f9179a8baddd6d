import type { Attachment, RichContent } from '../../contract/index.ts';
import { fromUnixMillis, inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import type { ResolvedXOptions } from './options.ts';

interface DmEvent {
  type?: string;
  id?: string;
  created_timestamp?: string;
  message_create?: {
    target?: { recipient_id?: string };
    sender_id?: string;
    message_data?: {
      text?: string;
      quick_reply_response?: { type?: string; metadata?: string };
      attachment?: { type?: string; media?: { media_url_https?: string; type?: string } };
    };
  };
}
interface ReadEvent {
  created_timestamp?: string;
  sender_id?: string;
  last_read_event_id?: string;
}
interface Webhook {
  for_user_id?: string;
  direct_message_events?: DmEvent[];
  direct_message_mark_read_events?: ReadEvent[];
  users?: Record<string, { name?: string; screen_name?: string }>;
}

const mediaType: Record<string, string> = { photo: 'image/jpeg', video: 'video/mp4', animated_gif: 'video/mp4' };

function bodyOf(data: NonNullable<NonNullable<DmEvent['message_create']>['message_data']>): { text?: string; attachments?: Attachment[]; content?: RichContent[] } {
  const media = data.attachment?.media;
  // X DM media URLs need the account's OAuth credentials: the server copies the file.
  const attachments: Attachment[] = media?.media_url_https ? [{ url: media.media_url_https, contentType: mediaType[media.type ?? ''] ?? 'application/octet-stream' }] : [];
  const quick = data.quick_reply_response;
  const text = data.text ?? '';
  // X appends the media's t.co link to the text: the attachment says it already.
  return {
    ...(quick?.metadata !== undefined ? { content: [{ type: 'buttonResponse', text: text.slice(0, 100), payload: quick.metadata }] } : text ? { text } : {}),
    ...(attachments.length ? { attachments } : {}),
  };
}

/**
 * Maps a verified Account Activity webhook: DMs from customers become InboundMessages;
 * our own DMs (sender = the account) become `sent` statuses; read events become `read`
 * statuses of the last message read. Typing and other events are left out.
 */
export function parseXWebhook(raw: Uint8Array, target: ChannelTarget, options: ResolvedXOptions): WebhookEvent[] {
  const webhook = parseJsonBody(raw) as Webhook;
  if (webhook?.for_user_id !== options.userId) throw new UnmappablePayloadError("for_user_id is not this channel's account");
  const events: WebhookEvent[] = [];
  for (const dm of webhook.direct_message_events ?? []) {
    if (dm.type !== 'message_create') continue;
    const create = dm.message_create;
    if (!dm.id || !create?.sender_id || !create.message_data) throw new UnmappablePayloadError('a message_create without id, sender_id or message_data');
    const timestamp = fromUnixMillis(dm.created_timestamp ?? 0, 'created_timestamp');
    if (create.sender_id === options.userId) {
      events.push({ kind: 'status', status: { status: 'sent', timestamp, platformMessageId: dm.id } });
      continue;
    }
    const user = webhook.users?.[create.sender_id];
    const name = user?.name ?? user?.screen_name;
    events.push({
      kind: 'inbound',
      message: inboundEnvelope({
        tenant: target.tenant,
        channel: target.channel,
        messageId: dm.id,
        timestamp,
        from: { id: create.sender_id, idType: 'opaque', ...(name ? { name: name.slice(0, 256) } : {}) },
        ...bodyOf(create.message_data),
      }),
    });
  }
  for (const read of webhook.direct_message_mark_read_events ?? []) {
    if (read.sender_id === options.userId || !read.last_read_event_id) continue;
    events.push({ kind: 'status', status: { status: 'read', timestamp: fromUnixMillis(read.created_timestamp ?? 0, 'created_timestamp'), platformMessageId: read.last_read_event_id } });
  }
  return events;
}
