import type { Action, Attachment, OutboundMessage, RichContent } from '../../contract/index.ts';
import type { Capabilities } from '../capabilities.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { composeMessages, emptyMessage } from '../compose-messages.ts';
import type { ResolvedWhatsAppOptions } from './options.ts';
import { whatsAppWindowRefusal } from './rules.ts';

type Body = Record<string, unknown>;

/** WhatsApp ids of reply buttons and list rows are at most 256 characters. */
const maxReplyId = 256;

function mediaBody(attachment: Attachment): Body {
  const kind = ['image', 'video', 'audio'].find((k) => attachment.contentType.startsWith(`${k}/`)) ?? 'document';
  return {
    type: kind,
    [kind]: { link: attachment.url, ...(kind === 'document' && attachment.filename ? { filename: attachment.filename } : {}) },
  };
}

function replyButtons(text: string, options: { text: string; payload: string }[], header?: Body): Body {
  return {
    type: 'interactive',
    interactive: {
      type: 'button',
      ...(header ? { header } : {}),
      body: { text },
      action: { buttons: options.map((o) => ({ type: 'reply', reply: { id: o.payload, title: o.text } })) },
    },
  };
}

function fits(options: { text: string; payload: string }[], max: number, titleMax: number): boolean {
  return options.length <= max && options.every((o) => o.text.length <= titleMax && o.payload.length > 0 && o.payload.length <= maxReplyId);
}

function postbacks(actions: Action[]): { text: string; payload: string }[] | undefined {
  return actions.every((a) => a.type === 'postback') ? actions.map((a) => ({ text: a.text, payload: a.type === 'postback' ? a.payload : '' })) : undefined;
}

/** The native WhatsApp body of one item, or undefined when it must go as text. */
function nativeBody(item: RichContent, caps: Capabilities): Body | undefined {
  const bodyMax = 1024;
  switch (item.type) {
    case 'quickReplies': {
      if (!caps.quickReplies || item.text.length > bodyMax) return undefined;
      if (fits(item.options, caps.quickReplies.max, caps.quickReplies.titleMax)) return replyButtons(item.text, item.options);
      if (caps.list && fits(item.options, caps.list.maxRows, caps.list.titleMax)) {
        return {
          type: 'interactive',
          interactive: {
            type: 'list',
            body: { text: item.text },
            action: { button: 'Choose', sections: [{ title: 'Options', rows: item.options.map((o) => ({ id: o.payload, title: o.text })) }] },
          },
        };
      }
      return undefined;
    }
    case 'buttons': {
      const options = postbacks(item.actions);
      if (!caps.buttons || !options || item.text.length > Math.min(bodyMax, caps.buttons.textMax)) return undefined;
      return fits(options, caps.buttons.max, caps.buttons.titleMax) ? replyButtons(item.text, options) : undefined;
    }
    case 'card': {
      if (!caps.card) return undefined;
      const text = [item.title, item.description].filter(Boolean).join('\n');
      if (item.actions.length === 0) return item.imageUrl ? { type: 'image', image: { link: item.imageUrl, caption: text } } : undefined;
      const options = postbacks(item.actions);
      if (!options || text.length > bodyMax || !fits(options, caps.card.maxButtons, caps.buttons?.titleMax ?? 20)) return undefined;
      return replyButtons(text, options, item.imageUrl ? { type: 'image', image: { link: item.imageUrl } } : undefined);
    }
    case 'location':
      if (!caps.location) return undefined;
      return {
        type: 'location',
        location: { latitude: item.latitude, longitude: item.longitude, ...(item.name ? { name: item.name } : {}), ...(item.address ? { address: item.address } : {}) },
      };
    case 'listPicker': {
      // A list message: ≤10 rows in all, one choice, row descriptions ≤72, section titles
      // ≤24 (required when there are several sections).
      const rows = item.sections.flatMap((s) => s.items);
      const sectionTitles = item.sections.length === 1 || item.sections.every((s) => s.title && s.title.length <= 24);
      if (!caps.list || item.sections.some((s) => s.multipleSelection) || !sectionTitles || item.title.length > bodyMax) return undefined;
      if (!fits(rows.map((r) => ({ text: r.title, payload: r.payload })), caps.list.maxRows, caps.list.titleMax) || rows.some((r) => (r.subtitle?.length ?? 0) > 72)) return undefined;
      return {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: item.subtitle ? `${item.title}\n${item.subtitle}` : item.title },
          action: {
            button: 'Choose',
            sections: item.sections.map((s) => ({
              title: s.title ?? 'Options',
              rows: s.items.map((r) => ({ id: r.payload, title: r.title, ...(r.subtitle ? { description: r.subtitle } : {}) })),
            })),
          },
        },
      };
    }
    case 'carousel':
    case 'timePicker':
    case 'richLink':
    case 'form':
    case 'formResponse':
    case 'buttonResponse':
      return undefined;
  }
}

/** `to` for a phone number; a business-scoped user id goes in `recipient`. */
function addressOf(message: OutboundMessage): Body {
  return message.to.idType === 'phone' ? { to: message.to.id } : { recipient: message.to.id };
}

export function whatsAppRequest(options: ResolvedWhatsAppOptions, body: Body): ProviderRequest {
  return {
    method: 'POST',
    url: `${options.baseUrl}/${options.apiVersion}/${encodeURIComponent(options.phoneNumberId)}/messages`,
    headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json' },
    body: { type: 'json', value: body },
  };
}

/**
 * The WhatsApp calls for one OutboundMessage, in order: the text, the files, then each
 * rich item natively or as numbered text. Every call carries Parley's id in
 * `biz_opaque_callback_data`, so that statuses name it.
 */
export function whatsAppRequests(message: OutboundMessage, state: SendState, options: ResolvedWhatsAppOptions): SendPlan {
  const refusal = whatsAppWindowRefusal(state.lastInboundAt, state.now, options.windowMs);
  if (refusal) return refusal;
  const caps = capabilitiesOf('whatsapp', options.disabledContent);
  const { messages: bodies, offered } = composeMessages<Body>(message, caps.maxTextLength, {
    text: (part) => ({ type: 'text', text: { body: part, preview_url: /https?:\/\//.test(part) } }),
    attachment: mediaBody,
    native: (item) => nativeBody(item, caps),
  });
  if (bodies.length === 0) return emptyMessage;
  const requests = bodies.map((body) =>
    whatsAppRequest(options, { messaging_product: 'whatsapp', recipient_type: 'individual', ...addressOf(message), ...body, biz_opaque_callback_data: message.id }),
  );
  return { ok: true, requests, options: offered };
}

/** An approved template (the only thing that may go outside the window). */
export interface WhatsAppTemplate {
  readonly name: string;
  /** The template's language code, e.g. `en_US`. */
  readonly language: string;
  /** The template's `components` (parameters), as the Cloud API takes them. */
  readonly components?: readonly unknown[];
}

/** A template send: not subject to the customer-service window. */
export function whatsAppTemplateRequest(options: ResolvedWhatsAppOptions, to: OutboundMessage['to'], template: WhatsAppTemplate, messageId: string): ProviderRequest {
  return whatsAppRequest(options, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...(to.idType === 'phone' ? { to: to.id } : { recipient: to.id }),
    type: 'template',
    template: { name: template.name, language: { code: template.language }, ...(template.components ? { components: template.components } : {}) },
    biz_opaque_callback_data: messageId,
  });
}
