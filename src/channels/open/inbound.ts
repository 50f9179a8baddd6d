import type { Attachment, Customer, RichContent } from '../../contract/index.ts';
import { inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, ProviderStatus, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';

interface OpenContent {
  contentType?: string;
  attachment?: { url?: string; mime?: string; contentType?: string; filename?: string };
  buttonResponse?: { text?: string; payload?: string };
  location?: { latitude?: number; longitude?: number; address?: string; text?: string };
}
interface OpenMessage {
  id?: string;
  type?: string;
  status?: string;
  reasons?: { code?: string; message?: string }[];
  channel?: {
    messageId?: string;
    time?: string;
    from?: { id?: string; idType?: string; nickname?: string; firstName?: string; lastName?: string };
    metadata?: { customAttributes?: Record<string, unknown> };
  };
  text?: string;
  content?: OpenContent[];
}

const e164 = /^\+[1-9]\d{6,14}$/;
const statusMap: Record<string, ProviderStatus['status']> = { Sent: 'sent', Delivered: 'delivered', Read: 'read', Failed: 'failed' };

function customerOf(from: NonNullable<NonNullable<OpenMessage['channel']>['from']>): Customer {
  if (!from.id) throw new UnmappablePayloadError('channel.from.id is missing');
  const name = from.nickname ?? ([from.firstName, from.lastName].filter(Boolean).join(' ') || undefined);
  const named = name ? { name: name.slice(0, 256) } : {};
  switch (from.idType) {
    case 'Phone':
      return { id: from.id, idType: 'phone', ...named, ...(e164.test(from.id) ? { phone: from.id } : {}) };
    case 'Email':
      return { id: from.id, idType: 'email', ...named, email: from.id };
    case 'Opaque':
      return { id: from.id, idType: 'opaque', ...named };
    default:
      throw new UnmappablePayloadError(`channel.from.idType ${from.idType ?? '(none)'} is not Phone, Email or Opaque`);
  }
}

function contentOf(items: OpenContent[]): { attachments: Attachment[]; content: RichContent[] } {
  const attachments: Attachment[] = [];
  const content: RichContent[] = [];
  for (const item of items) {
    if (item.contentType === 'Attachment' && item.attachment?.url) {
      const { url, mime, contentType, filename } = item.attachment;
      attachments.push({ url, contentType: mime ?? contentType ?? 'application/octet-stream', ...(filename ? { filename } : {}) });
    } else if (item.contentType === 'ButtonResponse' && item.buttonResponse?.payload !== undefined) {
      content.push({ type: 'buttonResponse', text: (item.buttonResponse.text ?? '').slice(0, 100), payload: item.buttonResponse.payload });
    } else if (item.contentType === 'Location' && item.location?.latitude !== undefined && item.location.longitude !== undefined) {
      const { latitude, longitude, address, text } = item.location;
      content.push({ type: 'location', latitude, longitude, ...(text ? { name: text } : {}), ...(address ? { address } : {}) });
    } else {
      throw new UnmappablePayloadError(`content of type ${item.contentType ?? '(none)'} is not mapped`);
    }
  }
  return { attachments, content };
}

/**
 * Maps a verified open-channel webhook in the Genesys Open Messaging shape: a message
 * (`type` Text or Structured) or a receipt (`type: "Receipt"`, `id` = the id we sent).
 */
export function parseOpenWebhook(raw: Uint8Array, target: ChannelTarget): WebhookEvent[] {
  const message = parseJsonBody(raw) as OpenMessage;
  if (message?.type === 'Receipt') {
    const status = statusMap[message.status ?? ''];
    if (!message.id) throw new UnmappablePayloadError('a Receipt without id');
    if (!status) return [];
    const reason = message.reasons?.[0];
    return [
      {
        kind: 'status',
        status: {
          status,
          timestamp: message.channel?.time ?? target.receivedAt.toISOString(),
          platformMessageId: message.id,
          messageId: message.id,
          ...(status === 'failed' ? { reason: reason?.code ?? reason?.message ?? 'Failed' } : {}),
        },
      },
    ];
  }
  const channel = message?.channel;
  if (!channel?.messageId || !channel.from) throw new UnmappablePayloadError('channel.messageId and channel.from are required');
  const { attachments, content } = contentOf(message.content ?? []);
  const attributes = Object.fromEntries(Object.entries(channel.metadata?.customAttributes ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return [
    {
      kind: 'inbound',
      message: inboundEnvelope({
        tenant: target.tenant,
        channel: target.channel,
        messageId: channel.messageId,
        timestamp: channel.time ?? target.receivedAt.toISOString(),
        from: customerOf(channel.from),
        ...(message.text ? { text: message.text } : {}),
        ...(attachments.length ? { attachments } : {}),
        ...(content.length ? { content } : {}),
        ...(Object.keys(attributes).length ? { attributes } : {}),
      }),
    },
  ];
}
