import { zoneOffsetMinutes, type OutboundMessage, type RichContent } from '../../contract/index.ts';
import { capabilitiesOf, type Capabilities } from '../capabilities.ts';
import { composeMessages, emptyMessage } from '../compose-messages.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import type { ResolvedAppleOptions } from './options.ts';
import { appleBearer } from './signature.ts';

/** The balloon of Apple's built-in interactive messages (list picker, time picker, quick reply). */
export const appleBusinessExtension = 'com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension';

/** Apple shows 2–5 quick replies (iOS 15 and later); fewer or more go as text. */
const MIN_QUICK_REPLIES = 2;

type Body = Record<string, unknown>;
type Part = { type: 'text'; body: string } | { type: 'interactive'; data: Body; received: Body; reply: Body };

/** "2026-12-08T09:00+0000", the time format of Apple's time picker. */
function appleTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16)}+0000`;
}

/** Apple's own rendering of an item, or undefined for the numbered-text fallback. */
function nativePart(item: RichContent, caps: Capabilities): Part | undefined {
  switch (item.type) {
    case 'listPicker':
      if (!caps.list) return undefined;
      return {
        type: 'interactive',
        data: {
          listPicker: {
            sections: item.sections.map((section, s) => ({
              order: s,
              title: section.title ?? '',
              multipleSelection: section.multipleSelection,
              items: section.items.map((i, n) => ({ identifier: i.payload, order: n, style: 'default', title: i.title, ...(i.subtitle ? { subtitle: i.subtitle } : {}) })),
            })),
          },
        },
        received: { title: item.title, ...(item.subtitle ? { subtitle: item.subtitle } : {}), style: 'icon' },
        reply: { title: 'Your choice', style: 'icon' },
      };
    case 'timePicker':
      if (!caps.timePicker) return undefined;
      return {
        type: 'interactive',
        data: {
          event: {
            identifier: 'slots',
            title: item.title,
            timezoneOffset: zoneOffsetMinutes(item.timeZone, new Date(item.slots[0]!.start)),
            timeslots: item.slots.map((slot) => ({ identifier: slot.payload, startTime: appleTime(slot.start), duration: slot.durationMinutes * 60 })),
          },
        },
        received: { title: item.title, style: 'icon' },
        reply: { title: 'Your time', style: 'icon' },
      };
    case 'quickReplies':
      if (!caps.quickReplies || item.options.length < MIN_QUICK_REPLIES || item.options.length > caps.quickReplies.max) return undefined;
      return {
        type: 'interactive',
        data: { 'quick-reply': { summaryText: item.text, items: item.options.map((o) => ({ identifier: o.payload, title: o.text })) } },
        received: { title: item.text },
        reply: { title: item.text },
      };
    default:
      return undefined;
  }
}

/** Neighbouring text parts as one bubble, as long as it stays within the length. */
function joinTexts(parts: readonly Part[], maxLength: number): Part[] {
  const joined: Part[] = [];
  for (const part of parts) {
    const last = joined.at(-1);
    if (part.type === 'text' && last?.type === 'text' && last.body.length + 2 + part.body.length <= maxLength) {
      joined[joined.length - 1] = { type: 'text', body: `${last.body}\n\n${part.body}` };
    } else joined.push(part);
  }
  return joined;
}

/**
 * The MSP calls for one OutboundMessage: text (files as links: Apple's attachments are
 * encrypted uploads, not built), list pickers, time pickers and 2–5 quick replies as
 * Apple's interactive messages, other rich content as numbered text. Message ids are
 * Parley's id (and `-n` for further parts), so Apple sees a retry as the same message.
 */
export function appleRequests(message: OutboundMessage, state: SendState, options: ResolvedAppleOptions): SendPlan {
  const caps = capabilitiesOf('apple', options.disabledContent);
  const { messages, offered } = composeMessages<Part>(message, caps.maxTextLength, {
    text: (body) => ({ type: 'text', body }),
    attachment: (a) => ({ type: 'text', body: `${a.filename ?? 'File'}: ${a.url}` }),
    native: (item) => nativePart(item, caps),
  });
  const parts = joinTexts(messages, caps.maxTextLength);
  if (parts.length === 0) return emptyMessage;
  const bearer = appleBearer(options, state.now);
  const requests: ProviderRequest[] = parts.map((part, i) => {
    const id = i === 0 ? message.id : `${message.id}-${i}`;
    const envelope = { v: 1, id, sourceId: options.businessId, destinationId: message.to.id };
    const value =
      part.type === 'text'
        ? { ...envelope, type: 'text', body: part.body }
        : {
            ...envelope,
            type: 'interactive',
            interactiveData: {
              bid: appleBusinessExtension,
              data: { version: '1.0', requestIdentifier: id, ...part.data, receivedMessage: part.received, replyMessage: part.reply },
            },
          };
    return {
      method: 'POST',
      url: `${options.baseUrl}/v1/message`,
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        id,
        'source-id': options.businessId,
        'destination-id': message.to.id,
        'msp-agent': options.agentName,
        'auto-reply': String(message.agentId === undefined),
      },
      body: { type: 'json', value },
    };
  });
  return { ok: true, requests, options: offered };
}
