import type { Attachment, OutboundMessage } from '../../contract/index.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { composeMessages, emptyMessage } from '../compose-messages.ts';
import { oauth1Header } from './oauth1.ts';
import type { ResolvedXOptions } from './options.ts';
import { xReplyRefusal } from './rules.ts';

type MessageData = { text: string; quick_reply?: unknown };

/**
 * The DM calls for one OutboundMessage (`POST /1.1/direct_messages/events/new.json`, the
 * endpoint with quick replies). X shows text and one set of quick-reply options per DM;
 * everything else becomes numbered text, files become links. The 5-replies rule counts
 * every DM the message becomes.
 */
export function xRequests(message: OutboundMessage, state: SendState, options: ResolvedXOptions): SendPlan {
  const caps = capabilitiesOf('x', options.disabledContent);
  // Files go inline as links, after the text: a DM carries media only through X's upload API.
  const link = (a: Attachment) => `${a.filename ?? 'File'}: ${a.url}`;
  const links = (message.attachments ?? []).map(link);
  const body = [message.text?.trim() ? message.text : undefined, ...links].filter((t) => t !== undefined).join('\n');
  const qr = caps.quickReplies;
  const { messages: dms, offered } = composeMessages<MessageData>({ ...message, text: body, attachments: [] }, caps.maxTextLength, {
    text: (part) => ({ text: part }),
    attachment: (a) => ({ text: link(a) }),
    native: (item) =>
      item.type === 'quickReplies' && qr && item.options.length <= qr.max && item.options.every((o) => o.text.length <= qr.titleMax)
        ? { text: item.text, quick_reply: { type: 'options', options: item.options.map((o) => ({ label: o.text, metadata: o.payload })) } }
        : undefined,
  });
  if (dms.length === 0) return emptyMessage;
  const refusal = xReplyRefusal(state.lastInboundAt, state.repliesSinceInbound ?? 0, dms.length, state.now);
  if (refusal) return refusal;

  const url = `${options.baseUrl}/1.1/direct_messages/events/new.json`;
  const credentials = { consumerKey: options.consumerKey, consumerSecret: options.consumerSecret, token: options.accessToken, tokenSecret: options.accessTokenSecret };
  const timestamp = Math.floor(state.now.getTime() / 1000);
  const requests: ProviderRequest[] = dms.map((data, i) => ({
    method: 'POST',
    url,
    // The nonce is unique per call: Parley's id, the part and the second it is signed in.
    headers: { authorization: oauth1Header('POST', url, {}, credentials, `${message.id.replaceAll('-', '')}${i}`, timestamp), 'content-type': 'application/json' },
    body: { type: 'json', value: { event: { type: 'message_create', message_create: { target: { recipient_id: message.to.id }, message_data: data } } } },
  }));
  return { ok: true, requests, options: offered };
}
