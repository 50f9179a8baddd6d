import type { OutboundMessage } from '../../contract/index.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { renderFallback } from '../rich-fallback.ts';
import { countSmsSegments } from '../sms-segments.ts';
import { splitText } from '../split-text.ts';
import { emptyMessage } from '../compose-messages.ts';
import type { ResolvedTwilioOptions } from './options.ts';

/** Twilio takes at most 10 MediaUrl per message. */
const maxMediaPerMessage = 10;

/**
 * The Twilio calls for one OutboundMessage. SMS shows no rich content: it all becomes the
 * numbered text fallback after the message's text; files go as MMS media. Text over
 * Twilio's 1,600 characters is split into several messages. Each request reports its
 * GSM-7/UCS-2 segments. SMS has no session window: consent and quiet hours are the
 * campaign and compliance rules' business, not the adapter's.
 */
export function twilioRequests(message: OutboundMessage, _state: SendState, options: ResolvedTwilioOptions): SendPlan {
  const caps = capabilitiesOf('sms', options.disabledContent);
  const fallback = renderFallback(message.content ?? []);
  const text = [message.text?.trim() ? message.text : undefined, fallback.text || undefined].filter((t) => t !== undefined).join('\n\n');
  const media = (message.attachments ?? []).map((a) => a.url);
  const texts = splitText(text, caps.maxTextLength);
  const mediaChunks: string[][] = [];
  for (let i = 0; i < media.length; i += maxMediaPerMessage) mediaChunks.push(media.slice(i, i + maxMediaPerMessage));
  const count = Math.max(texts.length, mediaChunks.length);
  if (count === 0) return emptyMessage;

  const auth = Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64');
  const requests: ProviderRequest[] = Array.from({ length: count }, (_, i) => {
    const body = texts[i];
    const form: [string, string][] = [
      ['To', message.to.id],
      options.messagingServiceSid ? ['MessagingServiceSid', options.messagingServiceSid] : ['From', options.from ?? ''],
      ...(body !== undefined ? [['Body', body] as [string, string]] : []),
      ...(mediaChunks[i] ?? []).map((url): [string, string] => ['MediaUrl', url]),
    ];
    if (options.statusCallbackUrl) {
      const callback = new URL(options.statusCallbackUrl);
      callback.searchParams.set('parleyMessageId', message.id);
      form.push(['StatusCallback', callback.toString()]);
    }
    return {
      method: 'POST',
      url: `${options.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: { type: 'form', value: form },
      ...(body !== undefined ? { sms: countSmsSegments(body) } : {}),
    };
  });
  return { ok: true, requests, options: fallback.options };
}
