import { DeliveryReceipt, InboundMessage } from '../contract/index.ts';
import type { ChannelTarget, ProviderStatus } from './provider.ts';
import { UnmappablePayloadError } from './unmappable-payload-error.ts';

function issues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validates a mapped message against the contract: what we publish is always valid. */
export function inboundEnvelope(candidate: Omit<InboundMessage, 'version'>): InboundMessage {
  const parsed = InboundMessage.safeParse({ version: 1, ...candidate });
  if (!parsed.success) throw new UnmappablePayloadError(`the mapped message breaks the contract: ${issues(parsed.error)}`);
  return parsed.data;
}

/** The contract receipt of a provider status once Parley's message id is known. */
export function deliveryReceipt(target: Pick<ChannelTarget, 'tenant' | 'channel'>, status: ProviderStatus, messageId: string): DeliveryReceipt {
  return DeliveryReceipt.parse({
    version: 1,
    tenant: target.tenant,
    channel: target.channel,
    messageId,
    status: status.status,
    timestamp: status.timestamp,
    platformMessageId: status.platformMessageId,
    ...(status.reason ? { reason: status.reason.slice(0, 256) } : {}),
  });
}

/** Parses a JSON webhook body; anything else is unmappable. */
export function parseJsonBody(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (err) {
    throw new UnmappablePayloadError('the body is not UTF-8 JSON', { cause: err });
  }
}

/** Unix seconds (as the provider's string or number) to ISO-8601. */
export function fromUnixSeconds(value: string | number, field: string): string {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UnmappablePayloadError(`${field} is not a Unix time`);
  return new Date(seconds * 1000).toISOString();
}

/** Unix milliseconds to ISO-8601. */
export function fromUnixMillis(value: string | number, field: string): string {
  const millis = Number(value);
  if (!Number.isFinite(millis) || millis <= 0) throw new UnmappablePayloadError(`${field} is not a Unix time in milliseconds`);
  return new Date(millis).toISOString();
}
