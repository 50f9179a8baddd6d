import type { Action, Attachment, OutboundMessage, RichContent } from '../../contract/index.ts';
import type { Capabilities } from '../capabilities.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { composeMessages, emptyMessage } from '../compose-messages.ts';
import type { ResolvedMessengerOptions } from './options.ts';
import { messagingTypeFor } from './rules.ts';

type Message = Record<string, unknown>;

function attachmentMessage(attachment: Attachment): Message {
  const type = ['image', 'video', 'audio'].find((k) => attachment.contentType.startsWith(`${k}/`)) ?? 'file';
  return { attachment: { type, payload: { url: attachment.url, is_reusable: false } } };
}

function button(action: Action): Message {
  return action.type === 'postback' ? { type: 'postback', title: action.text, payload: action.payload } : { type: 'web_url', title: action.text, url: action.url };
}

function buttonsFit(actions: Action[], max: number, titleMax: number): boolean {
  return actions.length <= max && actions.every((a) => a.text.length <= titleMax);
}

type CardInput = { title: string; description?: string | undefined; imageUrl?: string | undefined; actions: Action[] };

function element(card: CardInput): Message {
  return {
    title: card.title,
    ...(card.description ? { subtitle: card.description.slice(0, 80) } : {}),
    ...(card.imageUrl ? { image_url: card.imageUrl } : {}),
    ...(card.actions.length ? { buttons: card.actions.map(button) } : {}),
  };
}

function cardFits(card: CardInput, caps: Capabilities, maxButtons: number): boolean {
  return card.title.length <= (caps.card?.titleMax ?? 0) && (card.description?.length ?? 0) <= 80 && buttonsFit(card.actions, maxButtons, 20);
}

function nativeMessage(item: RichContent, caps: Capabilities): Message | undefined {
  switch (item.type) {
    case 'quickReplies': {
      const qr = caps.quickReplies;
      if (!qr || item.options.length > qr.max || item.options.some((o) => o.text.length > qr.titleMax) || item.text.length > caps.maxTextLength) return undefined;
      return { text: item.text, quick_replies: item.options.map((o) => ({ content_type: 'text', title: o.text, payload: o.payload })) };
    }
    case 'buttons': {
      const b = caps.buttons;
      if (!b || item.text.length > b.textMax || !buttonsFit(item.actions, b.max, b.titleMax)) return undefined;
      return { attachment: { type: 'template', payload: { template_type: 'button', text: item.text, buttons: item.actions.map(button) } } };
    }
    case 'card':
      if (!caps.card || !cardFits(item, caps, caps.card.maxButtons)) return undefined;
      return { attachment: { type: 'template', payload: { template_type: 'generic', elements: [element(item)] } } };
    case 'carousel': {
      const c = caps.carousel;
      if (!c || !caps.card || item.cards.length > c.maxCards || !item.cards.every((card) => cardFits(card, caps, c.maxButtonsPerCard))) return undefined;
      return { attachment: { type: 'template', payload: { template_type: 'generic', elements: item.cards.map(element) } } };
    }
    case 'location':
    case 'buttonResponse':
      return undefined;
  }
}

/**
 * The Send API calls for one OutboundMessage: text, files, then each rich item natively
 * (quick replies, button and generic templates) or as numbered text. `messaging_type`
 * follows the window rules; `metadata` carries Parley's id, which Meta echoes back.
 */
export function messengerRequests(message: OutboundMessage, state: SendState, options: ResolvedMessengerOptions): SendPlan {
  const type = messagingTypeFor(state.lastInboundAt, state.now, message.agentId !== undefined, options);
  if ('ok' in type) return type;
  const caps = capabilitiesOf(options.platform, options.disabledContent);
  const { messages, offered } = composeMessages<Message>(message, caps.maxTextLength, {
    text: (part) => ({ text: part }),
    attachment: attachmentMessage,
    native: (item) => nativeMessage(item, caps),
  });
  if (messages.length === 0) return emptyMessage;
  const requests: ProviderRequest[] = messages.map((m) => ({
    method: 'POST',
    url: `${options.baseUrl}/${options.apiVersion}/${encodeURIComponent(options.accountId)}/messages`,
    headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json' },
    body: { type: 'json', value: { recipient: { id: message.to.id }, ...type, message: { ...m, metadata: message.id } } },
  }));
  return { ok: true, requests, options: offered };
}
