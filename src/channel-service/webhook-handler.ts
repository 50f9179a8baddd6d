import type { NatsConnection } from '@nats-io/transport-node';
import { DeliveryReceipt, type InboundMessage } from '../contract/index.ts';
import { deliveryReceipt, UnmappablePayloadError, type WebhookEvent, type WebhookRequest } from '../channels/index.ts';
import { recordInbound } from './customer-state.ts';
import type { ChannelMetrics } from './metrics.ts';
import { deadLetterBytes, publishInbound, publishReceipt } from './publish.ts';
import type { ResolvedChannel } from './resolve-channel.ts';
import { advanceStatus, coveredByWatermark, messageIdOfProviderId } from './sent-messages.ts';
import type { ChannelDb } from './tables.ts';

export interface WebhookDeps {
  readonly nc: NatsConnection;
  readonly db: ChannelDb;
  readonly metrics: ChannelMetrics;
  readonly now: () => Date;
  /** Runs before a customer message is published (the STOP/START/HELP keywords: an opt-out holds before anything else is sent). */
  readonly beforePublish?: ((message: InboundMessage) => Promise<void>) | undefined;
}

/** What the server answers the provider. */
export type WebhookOutcome =
  | { readonly status: 200; readonly outcome: 'published' | 'unmappable' }
  | { readonly status: 401; readonly outcome: 'unauthorized'; readonly reason: string };

/**
 * One provider webhook, after the server found its Channel: the signature over the raw
 * bytes first (nothing is published without it), then the events, each published and
 * acknowledged by JetStream before the provider gets its 200. A signed payload that cannot
 * be mapped is dead-lettered and answered 200 (a retry would fail the same way). Errors
 * (NATS or the database down) propagate: the server answers 5xx and the provider retries,
 * which the de-duplication ids make harmless.
 */
export async function handleWebhook(deps: WebhookDeps, channel: ResolvedChannel, request: WebhookRequest): Promise<WebhookOutcome> {
  const type = channel.provider.type;
  const verification = await channel.provider.verify(request);
  if (!verification.ok) {
    deps.metrics.signatureFailures.inc({ type });
    deps.metrics.webhooks.inc({ type, outcome: 'unauthorized' });
    return { status: 401, outcome: 'unauthorized', reason: verification.reason };
  }
  const target = { tenant: channel.tenant, channel: channel.name, receivedAt: deps.now() };
  let events: WebhookEvent[];
  try {
    events = channel.provider.parseWebhook(request, target);
  } catch (err) {
    if (!(err instanceof UnmappablePayloadError)) throw err;
    await deadLetterBytes(deps.nc, request.raw, `webhook ${channel.tenant}/${channel.name} (${type})`, 'invalidEnvelope', err.reason);
    deps.metrics.webhooks.inc({ type, outcome: 'unmappable' });
    return { status: 200, outcome: 'unmappable' };
  }
  for (const event of events) await handleEvent(deps, channel, event);
  deps.metrics.webhooks.inc({ type, outcome: 'published' });
  return { status: 200, outcome: 'published' };
}

async function handleEvent(deps: WebhookDeps, channel: ResolvedChannel, event: WebhookEvent): Promise<void> {
  const { tenant, name } = channel;
  switch (event.kind) {
    case 'inbound': {
      await deps.beforePublish?.(event.message);
      await publishInbound(deps.nc, event.message);
      // After the PubAck: a failure here answers 5xx, the provider retries, the publication is de-duplicated.
      await recordInbound(deps.db, { tenant, channel: name, customerId: event.message.from.id }, new Date(event.message.timestamp), event.replyToken);
      return;
    }
    case 'status': {
      const status = event.status;
      const messageId = status.messageId ?? (await messageIdOfProviderId(deps.db, tenant, name, status.platformMessageId));
      // A status of a message Parley did not send (from the provider's own app, say): nothing to tell.
      if (!messageId) return;
      await publishReceipt(deps.nc, deliveryReceipt({ tenant, channel: name }, status, messageId));
      await advanceStatus(deps.db, { tenant, messageId }, status.status, status.reason);
      return;
    }
    case 'watermark': {
      const { customerId, upTo, status } = event.watermark;
      const covered = await coveredByWatermark(deps.db, tenant, name, customerId, new Date(upTo), status);
      for (const messageId of covered) {
        await publishReceipt(deps.nc, DeliveryReceipt.parse({ version: 1, tenant, channel: name, messageId, status, timestamp: upTo }));
        await advanceStatus(deps.db, { tenant, messageId }, status, undefined);
      }
      return;
    }
  }
}
