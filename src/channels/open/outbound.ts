import type { Action, OutboundMessage, RichContent } from '../../contract/index.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { emptyMessage } from '../compose-messages.ts';
import type { ResolvedOpenOptions } from './options.ts';
import { openSignature } from './signature.ts';

const idTypes = { phone: 'Phone', email: 'Email', opaque: 'Opaque' } as const;

function action(a: Action): Record<string, string> {
  return a.type === 'postback' ? { type: 'Postback', text: a.text, payload: a.payload } : { type: 'Link', text: a.text, url: a.url };
}

type CardInput = { title: string; description?: string | undefined; imageUrl?: string | undefined; actions: Action[] };
function card(c: CardInput): Record<string, unknown> {
  return { title: c.title, ...(c.description ? { description: c.description } : {}), ...(c.imageUrl ? { image: c.imageUrl } : {}), actions: c.actions.map(action) };
}

/** Our canonical content in Genesys' normalized content types: the gateway renders it. */
function openContent(item: RichContent): Record<string, unknown>[] {
  switch (item.type) {
    case 'quickReplies':
      return item.options.map((o) => ({ contentType: 'QuickReply', quickReply: { text: o.text, payload: o.payload, action: 'Message' }, prompt: item.text }));
    case 'buttons':
      return [{ contentType: 'Card', card: { title: item.text, actions: item.actions.map(action) } }];
    case 'card':
      return [{ contentType: 'Card', card: card(item) }];
    case 'carousel':
      return [{ contentType: 'Carousel', carousel: { cards: item.cards.map(card) } }];
    case 'location':
      return [{ contentType: 'Location', location: { latitude: item.latitude, longitude: item.longitude, ...(item.name ? { text: item.name } : {}), ...(item.address ? { address: item.address } : {}) } }];
    case 'listPicker':
      return [
        {
          contentType: 'ListPicker',
          listPicker: {
            title: item.title,
            ...(item.subtitle ? { subtitle: item.subtitle } : {}),
            sections: item.sections.map((s) => ({
              ...(s.title ? { title: s.title } : {}),
              multipleSelection: s.multipleSelection,
              items: s.items.map((i) => ({ id: i.payload, title: i.title, ...(i.subtitle ? { subtitle: i.subtitle } : {}), ...(i.imageUrl ? { image: i.imageUrl } : {}) })),
            })),
          },
        },
      ];
    case 'timePicker':
      // Genesys' DatePicker: `availableTimes` with durations in seconds.
      return [
        {
          contentType: 'DatePicker',
          datePicker: { title: item.title, timeZone: item.timeZone, availableTimes: item.slots.map((s) => ({ dateTime: s.start, duration: s.durationMinutes * 60, payload: s.payload })) },
        },
      ];
    case 'richLink':
      return [{ contentType: 'Card', card: { title: item.title, ...(item.imageUrl ? { image: item.imageUrl } : {}), defaultAction: { type: 'Link', url: item.url }, actions: [] } }];
    case 'form':
      // No Genesys equivalent: Parley's own form, as the contract defines it.
      return [{ contentType: 'Form', form: { title: item.title, fields: item.fields, payload: item.payload, ...(item.submitLabel ? { submitLabel: item.submitLabel } : {}) } }];
    case 'formResponse':
      return [{ contentType: 'FormResponse', formResponse: { payload: item.payload, values: item.values } }];
    case 'buttonResponse':
      return [{ contentType: 'ButtonResponse', buttonResponse: { text: item.text, payload: item.payload } }];
  }
}

/**
 * One signed POST of the message to the gateway's outbound webhook, in the Genesys Open
 * Messaging outbound shape. `id` is Parley's id (also the `Idempotency-Key`): the gateway
 * posts receipts back with it. The signature covers `JSON.stringify(value)`, which is
 * exactly what the sender must send.
 */
export function openRequests(message: OutboundMessage, _state: SendState, options: ResolvedOpenOptions): SendPlan {
  const content = [
    ...(message.attachments ?? []).map((a) => ({ contentType: 'Attachment', attachment: { url: a.url, mime: a.contentType, ...(a.filename ? { filename: a.filename } : {}) } })),
    ...(message.content ?? []).flatMap(openContent),
  ];
  if (!message.text?.trim() && content.length === 0) return emptyMessage;
  const value = {
    id: message.id,
    channel: {
      platform: 'Open',
      type: 'Private',
      messageId: message.id,
      to: { id: message.to.id, idType: idTypes[message.to.idType] },
      from: { id: options.fromId },
      time: message.timestamp,
    },
    type: content.length ? 'Structured' : 'Text',
    ...(message.text ? { text: message.text } : {}),
    ...(content.length ? { content } : {}),
    direction: 'Outbound',
  };
  const request: ProviderRequest = {
    method: 'POST',
    url: options.outboundUrl,
    headers: { 'content-type': 'application/json', 'idempotency-key': message.id, 'x-hub-signature-256': openSignature(options.secret, JSON.stringify(value)) },
    body: { type: 'json', value },
  };
  return { ok: true, requests: [request], options: [] };
}
