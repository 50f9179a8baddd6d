import type { OutboundMessage } from '../../contract/index.ts';
import { fromUnixSeconds, inboundEnvelope, parseJsonBody } from '../envelopes.ts';
import type { ChannelProvider, ChannelTarget, ProviderResponse, SendOutcome, SendPlan, WebhookEvent, WebhookRequest } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';
import { renderFallback } from '../rich-fallback.ts';
import { checkSignatureHeader, hmac } from '../signature.ts';
import { smsKeywordOf } from '../sms-keywords.ts';
import { countSmsSegments } from '../sms-segments.ts';
import { splitText } from '../split-text.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import { emptyMessage } from '../compose-messages.ts';
import type { HttpSmsOptions, ResolvedHttpSmsOptions } from './options.ts';
import { resolveHttpSmsOptions } from './options.ts';

export type { HttpSmsOptions } from './options.ts';

const e164 = /^\+[1-9]\d{6,14}$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The value at a dot path (`message.from.number`), when it is a string or a number. */
function at(value: unknown, path: string): string | undefined {
  const found = path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
  return typeof found === 'string' ? found : typeof found === 'number' ? String(found) : undefined;
}

function timeOf(value: string | undefined, target: ChannelTarget): string {
  if (value === undefined) return target.receivedAt.toISOString();
  if (/^\d+$/.test(value)) return fromUnixSeconds(value, 'timestamp');
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UnmappablePayloadError('timestamp is neither ISO-8601 nor Unix seconds');
  return new Date(parsed).toISOString();
}

function parseWebhook(request: WebhookRequest, target: ChannelTarget, options: ResolvedHttpSmsOptions): WebhookEvent[] {
  const body = parseJsonBody(request.raw);
  const status = options.status;
  const reported = status && at(body, status.field);
  if (status && reported !== undefined) {
    const mapped = status.map[reported];
    const id = at(body, status.messageId);
    if (!id) throw new UnmappablePayloadError(`${status.messageId} is missing`);
    if (!mapped) return [];
    const reason = status.reason ? at(body, status.reason) : undefined;
    const echoed = new URL(request.url).searchParams.get('parleyMessageId');
    return [
      {
        kind: 'status',
        status: {
          status: mapped,
          timestamp: target.receivedAt.toISOString(),
          platformMessageId: id,
          ...(echoed && uuid.test(echoed) ? { messageId: echoed.toLowerCase() } : {}),
          ...(mapped === 'failed' ? { reason: reason ?? reported } : {}),
        },
      },
    ];
  }
  const { inbound } = options;
  const messageId = at(body, inbound.messageId);
  const from = at(body, inbound.from);
  if (!messageId || !from) throw new UnmappablePayloadError(`${inbound.messageId} and ${inbound.from} are required`);
  const text = at(body, inbound.text) ?? '';
  const keyword = smsKeywordOf(text);
  return [
    {
      kind: 'inbound',
      message: inboundEnvelope({
        tenant: target.tenant,
        channel: target.channel,
        messageId,
        timestamp: timeOf(inbound.timestamp ? at(body, inbound.timestamp) : undefined, target),
        from: e164.test(from) ? { id: from, idType: 'phone', phone: from } : { id: from, idType: 'opaque' },
        text,
        ...(keyword ? { attributes: { smsKeyword: keyword } } : {}),
      }),
    },
  ];
}

function toRequests(message: OutboundMessage, options: ResolvedHttpSmsOptions): SendPlan {
  const { send } = options;
  const fallback = renderFallback(message.content ?? []);
  const links = (message.attachments ?? []).map((a) => a.url);
  const text = [message.text?.trim() ? message.text : undefined, ...links, fallback.text || undefined].filter((t) => t !== undefined).join('\n\n');
  if (!text) return emptyMessage;
  const requests = splitText(text, send.maxTextLength).map((part) => ({
    method: 'POST' as const,
    url: send.url,
    headers: { 'content-type': 'application/json', ...send.headers },
    body: { type: 'json' as const, value: { [send.fields.to]: message.to.id, [send.fields.from]: send.from, [send.fields.text]: part } },
    sms: countSmsSegments(part),
  }));
  return { ok: true, requests, options: fallback.options };
}

function parseResponse(response: ProviderResponse, options: ResolvedHttpSmsOptions): SendOutcome {
  if (response.status >= 200 && response.status < 300) {
    const id = at(jsonOrUndefined(response.body), options.send.responseId);
    return id ? { kind: 'accepted', providerMessageId: id } : { kind: 'accepted' };
  }
  const afterMs = retryAfterMs(response.headers);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  if (response.status === 429) return { kind: 'retry', reason: 'RateLimited (HTTP 429)', ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (HTTP ${response.status})`, ...retryAfter };
  return { kind: 'failed', reason: `ProviderRejected (HTTP ${response.status})` };
}

/** An SMS aggregator configured by `HttpSmsOptions` (type `sms`): text only, files as links. */
export function httpSmsProvider(input: HttpSmsOptions): ChannelProvider {
  const options = resolveHttpSmsOptions(input);
  const { header, algorithm, encoding, prefix } = options.signature;
  return {
    type: 'sms',
    verify: (request) => checkSignatureHeader(request.headers, header, `${prefix}${hmac(algorithm, options.webhookSecret, request.raw, encoding)}`),
    parseWebhook: (request, target) => parseWebhook(request, target, options),
    toRequests: (message) => toRequests(message, options),
    parseResponse: (response) => parseResponse(response, options),
  };
}
