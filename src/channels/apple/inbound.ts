import { gunzipSync } from 'node:zlib';
import type { Attachment, RichContent } from '../../contract/index.ts';
import { inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelTarget, WebhookEvent } from '../provider.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';

interface AppleItem { identifier?: string; title?: string; startTime?: string }
interface AppleMessage {
  v?: number;
  type?: string;
  id?: string;
  sourceId?: string;
  destinationId?: string;
  body?: string;
  locale?: string;
  intent?: string;
  group?: string;
  attachments?: { name?: string; mimeType?: string; size?: string; url?: string }[];
  interactiveData?: {
    receivedMessage?: { title?: string };
    data?: {
      replyMessage?: { title?: string };
      receivedMessage?: { title?: string };
      listPicker?: { sections?: { items?: AppleItem[] }[] };
      event?: { timeslots?: AppleItem[] };
      'quick-reply'?: { selectedIdentifier?: string; items?: AppleItem[] };
    };
  };
  interactiveDataRef?: { title?: string };
}

/** Apple may gzip the body; the signature (the JWT) does not cover it, so decompressing first is safe. */
function bodyBytes(raw: Uint8Array): Uint8Array {
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

function interactiveOf(message: AppleMessage): { text?: string; content?: RichContent[] } {
  const data = message.interactiveData?.data;
  // A reply carries only what was picked: the list picker's chosen items, the time
  // picker's chosen slot, the quick reply's selected identifier.
  const quickReply = data?.['quick-reply'];
  const picked = [
    ...(data?.listPicker?.sections ?? []).flatMap((s) => s.items ?? []),
    ...(data?.event?.timeslots ?? []).map((t) => ({ identifier: t.identifier, title: t.title ?? t.startTime })),
    ...(quickReply?.selectedIdentifier !== undefined ? (quickReply.items ?? []).filter((i) => i.identifier === quickReply.selectedIdentifier) : []),
  ].filter((i) => i.identifier !== undefined);
  const title = data?.replyMessage?.title ?? data?.receivedMessage?.title ?? message.interactiveData?.receivedMessage?.title ?? message.interactiveDataRef?.title;
  const content: RichContent[] = picked.map((i) => ({ type: 'buttonResponse', text: (i.title ?? '').slice(0, 100), payload: i.identifier! }));
  return { ...(title ? { text: title } : {}), ...(content.length ? { content: content.slice(0, 10) } : {}) };
}

/**
 * Maps a verified Apple Messages for Business request: `text` and `interactive` messages
 * from the customer's opaque id. Intent and group (sent on the first message only) and
 * the locale become attributes. Typing indicators and `close` are not messages. Apple
 * sends no delivery or read receipts.
 */
export function parseAppleWebhook(raw: Uint8Array, target: ChannelTarget): WebhookEvent[] {
  const message = parseJsonBody(bodyBytes(raw)) as AppleMessage;
  if (message?.type === 'typing_start' || message?.type === 'typing_end' || message?.type === 'close') return [];
  if (message?.type !== 'text' && message?.type !== 'interactive') throw new UnmappablePayloadError(`message type ${message?.type ?? '(none)'} is not mapped`);
  if (!message.id || !message.sourceId) throw new UnmappablePayloadError('id and sourceId are required');
  // Attachments are encrypted on Apple's storage: the server downloads and decrypts them.
  const attachments: Attachment[] = (message.attachments ?? [])
    .filter((a) => a.url && /^https?:\/\//.test(a.url))
    .map((a) => ({ url: a.url!, contentType: a.mimeType ?? 'application/octet-stream', ...(a.name ? { filename: a.name.slice(0, 255) } : {}) }));
  const language = message.locale?.replace('_', '-');
  const attributes = {
    ...(message.intent ? { intent: message.intent.slice(0, 1024) } : {}),
    ...(message.group ? { group: message.group.slice(0, 1024) } : {}),
  };
  const body = message.type === 'text' ? (message.body ? { text: message.body } : {}) : interactiveOf(message);
  return [
    {
      kind: 'inbound',
      message: inboundEnvelope({
        tenant: target.tenant,
        channel: target.channel,
        messageId: message.id,
        // Apple gives no message time.
        timestamp: target.receivedAt.toISOString(),
        from: { id: message.sourceId, idType: 'opaque' },
        ...body,
        ...(attachments.length ? { attachments } : {}),
        ...(language && /^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language) ? { language } : {}),
        ...(Object.keys(attributes).length ? { attributes } : {}),
      }),
    },
  ];
}
