import type { OutboundMessage } from '../../contract/index.ts';
import { capabilitiesOf } from '../capabilities.ts';
import type { ProviderRequest, SendPlan, SendState } from '../provider.ts';
import { renderFallback } from '../rich-fallback.ts';
import { splitText } from '../split-text.ts';
import { emptyMessage } from '../compose-messages.ts';
import type { ResolvedAppleOptions } from './options.ts';
import { appleBearer } from './signature.ts';

/**
 * The gateway calls for one OutboundMessage: `text` messages (rich content as numbered text
 * and files as links until list pickers and attachment upload are built). The message
 * `id` is Parley's id (and `-n` for further parts), so Apple sees a retry as the same message.
 */
export function appleRequests(message: OutboundMessage, state: SendState, options: ResolvedAppleOptions): SendPlan {
  const caps = capabilitiesOf('apple');
  const fallback = renderFallback(message.content ?? []);
  const links = (message.attachments ?? []).map((a) => `${a.filename ?? 'File'}: ${a.url}`);
  const text = [message.text?.trim() ? message.text : undefined, ...links, fallback.text || undefined].filter((t) => t !== undefined).join('\n\n');
  if (!text) return emptyMessage;
  const bearer = appleBearer(options, state.now);
  const requests: ProviderRequest[] = splitText(text, caps.maxTextLength).map((part, i) => {
    const id = i === 0 ? message.id : `${message.id}-${i}`;
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
      body: { type: 'json', value: { v: 1, type: 'text', id, sourceId: options.businessId, destinationId: message.to.id, body: part } },
    };
  });
  return { ok: true, requests, options: fallback.options };
}
