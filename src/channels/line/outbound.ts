import { createHash } from 'node:crypto';
import type { Action, Attachment, OutboundMessage, RichContent } from '../../contract/index.ts';
import type { Capabilities } from '../capabilities.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { renderFallback } from '../rich-fallback.ts';
import { composeMessages, emptyMessage } from '../compose-messages.ts';
import type { ResolvedLineOptions } from './options.ts';

type LineMessage = Record<string, unknown>;

/** A reply or push carries at most 5 messages. */
const maxMessagesPerCall = 5;
/** Postback `data` is at most 300 characters; `altText` at most 400. */
const maxData = 300;
const maxAltText = 400;

function lineAction(action: Action): LineMessage {
  return action.type === 'postback'
    ? { type: 'postback', label: action.text, data: action.payload, displayText: action.text }
    : { type: 'uri', label: action.text, uri: action.url };
}

function actionsFit(actions: Action[], max: number, titleMax: number): boolean {
  return actions.length >= 1 && actions.length <= max && actions.every((a) => a.text.length <= titleMax && (a.type === 'link' || a.payload.length <= maxData));
}

function altText(item: RichContent): string {
  return renderFallback([item]).text.slice(0, maxAltText);
}

type CardInput = { title: string; description?: string | undefined; imageUrl?: string | undefined; actions: Action[] };

/** A buttons-template or carousel column: text is required, 60 characters with a title or image. */
function column(card: CardInput): LineMessage | undefined {
  const text = card.description ?? card.title;
  const titled = card.description !== undefined;
  if (text.length > (titled || card.imageUrl ? 60 : 160) || card.title.length > 40) return undefined;
  return {
    ...(card.imageUrl ? { thumbnailImageUrl: card.imageUrl } : {}),
    ...(titled ? { title: card.title } : {}),
    text,
    actions: card.actions.map(lineAction),
  };
}

function nativeMessage(item: RichContent, caps: Capabilities): LineMessage | undefined {
  switch (item.type) {
    case 'quickReplies': {
      const qr = caps.quickReplies;
      if (!qr || item.options.length > qr.max || item.text.length > caps.maxTextLength) return undefined;
      if (item.options.some((o) => o.text.length > qr.titleMax || o.payload.length > maxData)) return undefined;
      return {
        type: 'text',
        text: item.text,
        quickReply: { items: item.options.map((o) => ({ type: 'action', action: { type: 'postback', label: o.text, data: o.payload, displayText: o.text } })) },
      };
    }
    case 'buttons': {
      const b = caps.buttons;
      if (!b || item.text.length > b.textMax || !actionsFit(item.actions, b.max, b.titleMax)) return undefined;
      return { type: 'template', altText: altText(item), template: { type: 'buttons', text: item.text, actions: item.actions.map(lineAction) } };
    }
    case 'card': {
      if (!caps.card || !actionsFit(item.actions, caps.card.maxButtons, 20)) return undefined;
      const col = column(item);
      return col && { type: 'template', altText: altText(item), template: { type: 'buttons', ...col } };
    }
    case 'carousel': {
      const c = caps.carousel;
      if (!c || item.cards.length > c.maxCards) return undefined;
      // LINE wants the same number of actions in every column.
      const n = item.cards[0]?.actions.length ?? 0;
      if (!item.cards.every((card) => card.actions.length === n && actionsFit(card.actions, c.maxButtonsPerCard, 20))) return undefined;
      const columns = item.cards.map(column);
      if (columns.some((col) => col === undefined)) return undefined;
      return { type: 'template', altText: altText(item), template: { type: 'carousel', columns } };
    }
    case 'location':
      if (!caps.location || !item.address) return undefined;
      return { type: 'location', title: (item.name ?? item.address).slice(0, 100), address: item.address.slice(0, 100), latitude: item.latitude, longitude: item.longitude };
    case 'buttonResponse':
      return undefined;
  }
}

/** Images go natively (LINE needs a preview, the same URL serves); other files as links, which LINE cannot send without extra data. */
function attachmentMessage(attachment: Attachment): LineMessage {
  return attachment.contentType.startsWith('image/')
    ? { type: 'image', originalContentUrl: attachment.url, previewImageUrl: attachment.url }
    : { type: 'text', text: `${attachment.filename ?? 'File'}: ${attachment.url}` };
}

/** A UUID derived from the message id and the call's index: the same push retried has the same key. */
export function retryKey(messageId: string, index: number): string {
  const hex = createHash('sha256').update(`${messageId}:${index}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Whether the reply token of the customer's last message can still be used at `now`. */
export function replyTokenUsable(state: SendState, ttlMs: number): boolean {
  return state.replyToken !== undefined && state.now.getTime() - state.replyToken.receivedAt.getTime() < ttlMs;
}

/**
 * The Messaging API calls for one OutboundMessage: messages in groups of 5; the first group
 * answers with the reply token while it is valid (free of charge), everything else is
 * pushed with an `X-Line-Retry-Key`, so a retried push is not delivered twice.
 */
export function lineRequests(message: OutboundMessage, state: SendState, options: ResolvedLineOptions): SendPlan {
  const caps = capabilitiesOf('line', options.disabledContent);
  const { messages, offered } = composeMessages<LineMessage>(message, caps.maxTextLength, {
    text: (part) => ({ type: 'text', text: part }),
    attachment: attachmentMessage,
    native: (item) => nativeMessage(item, caps),
  });
  if (messages.length === 0) return emptyMessage;

  const auth = { authorization: `Bearer ${options.channelAccessToken}`, 'content-type': 'application/json' };
  const reply = replyTokenUsable(state, options.replyTokenTtlMs) ? state.replyToken!.token : undefined;
  const requests: ProviderRequest[] = [];
  for (let i = 0; i * maxMessagesPerCall < messages.length; i += 1) {
    const group = messages.slice(i * maxMessagesPerCall, (i + 1) * maxMessagesPerCall);
    requests.push(
      i === 0 && reply
        ? { method: 'POST', url: `${options.baseUrl}/v2/bot/message/reply`, headers: auth, body: { type: 'json', value: { replyToken: reply, messages: group } } }
        : {
            method: 'POST',
            url: `${options.baseUrl}/v2/bot/message/push`,
            headers: { ...auth, 'x-line-retry-key': retryKey(message.id, i) },
            body: { type: 'json', value: { to: message.to.id, messages: group } },
          },
    );
  }
  return { ok: true, requests, options: offered };
}
