import type { Attachment, Customer } from '../../contract/index.ts';
import { inboundEnvelope } from '../envelopes.ts';
import type { ChannelTarget, ProviderStatus, WebhookEvent, WebhookRequest } from '../provider.ts';
import { smsKeywordOf } from '../sms-keywords.ts';
import { UnmappablePayloadError } from '../unmappable-payload-error.ts';
import { twilioFailureReason } from './errors.ts';
import type { ResolvedTwilioOptions } from './options.ts';
import { formParams } from './signature.ts';

const e164 = /^\+[1-9]\d{6,14}$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Twilio's statuses; the intermediate ones (queued, accepted, scheduled, sending) give no receipt. */
const statusMap: Record<string, ProviderStatus['status']> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
};

function customerOf(from: string): Customer {
  // Alphanumeric senders and channel-prefixed addresses (whatsapp:+…) are not phones.
  return e164.test(from) ? { id: from, idType: 'phone', phone: from } : { id: from, idType: 'opaque' };
}

function attachmentsOf(params: URLSearchParams): Attachment[] {
  const count = Number(params.get('NumMedia') ?? '0');
  if (!Number.isInteger(count) || count < 0 || count > 20) throw new UnmappablePayloadError('NumMedia is not a count of 0 to 20');
  return Array.from({ length: count }, (_, i) => {
    const url = params.get(`MediaUrl${i}`);
    if (!url) throw new UnmappablePayloadError(`MediaUrl${i} is missing`);
    // Twilio media URLs may need the account's credentials: the server copies the file.
    return { url, contentType: params.get(`MediaContentType${i}`) || 'application/octet-stream' };
  });
}

/** Maps a verified Twilio messaging webhook: an incoming message or a status callback. */
export function parseTwilioWebhook(request: WebhookRequest, target: ChannelTarget, options: ResolvedTwilioOptions): WebhookEvent[] {
  const params = formParams(request.raw);
  if (params.get('AccountSid') !== options.accountSid) throw new UnmappablePayloadError('AccountSid is not this channel\'s account');
  const sid = params.get('MessageSid');
  if (!sid) throw new UnmappablePayloadError('MessageSid is missing');

  const messageStatus = params.get('MessageStatus');
  if (messageStatus !== null) {
    const status = statusMap[messageStatus];
    if (!status) return [];
    const echoed = new URL(request.url).searchParams.get('parleyMessageId');
    return [
      {
        kind: 'status',
        status: {
          status,
          // Status callbacks carry no time: the time they arrived is the best there is.
          timestamp: target.receivedAt.toISOString(),
          platformMessageId: sid,
          ...(echoed && uuid.test(echoed) ? { messageId: echoed.toLowerCase() } : {}),
          ...(status === 'failed' ? { reason: messageStatus === 'canceled' ? 'Canceled' : twilioFailureReason(params.get('ErrorCode')) } : {}),
        },
      },
    ];
  }

  const from = params.get('From');
  if (!from) throw new UnmappablePayloadError('From is missing');
  const body = params.get('Body') ?? '';
  const attachments = attachmentsOf(params);
  const keyword = smsKeywordOf(body);
  return [
    {
      kind: 'inbound',
      message: inboundEnvelope({
        tenant: target.tenant,
        channel: target.channel,
        messageId: sid,
        timestamp: target.receivedAt.toISOString(),
        from: customerOf(from),
        ...(body !== '' || attachments.length === 0 ? { text: body } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(keyword ? { attributes: { smsKeyword: keyword } } : {}),
      }),
    },
  ];
}
