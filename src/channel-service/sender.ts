import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { deadLetter, startConsumeLoop, type ConsumeLoop, type Verdict } from '../bus/index.ts';
import { receiptOfOutcome, receiptOfRefusal, type ChannelTransport, type Refusal, type SendOutcome } from '../channels/index.ts';
import { decode, OutboundMessage, streams, type ChannelType } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ChannelDirectory } from './channel-directory.ts';
import { recordSent, sendStateOf } from './customer-state.ts';
import { KeyChain } from './key-chain.ts';
import { checkMessagingLimit, recordReached } from './messaging-limit.ts';
import type { ChannelMetrics } from './metrics.ts';
import { reserveSend, type Rate } from './pacing.ts';
import { callProvider, retryDelayMs } from './provider-call.ts';
import { publishReceipt } from './publish.ts';
import type { ResolvedChannel } from './resolve-channel.ts';
import { markRetry, recordOutcome, startAttempt, type SentKey } from './sent-messages.ts';
import type { ChannelDb } from './tables.ts';

export interface SenderOptions {
  readonly nc: NatsConnection;
  readonly db: ChannelDb;
  readonly channels: ChannelDirectory;
  readonly metrics: ChannelMetrics;
  readonly logger: Logger;
  /** Channel types sent by a transport (e-mail, web messaging) instead of a provider's HTTP API. @default [] */
  readonly transports?: readonly ChannelTransport[];
  /**
   * Asked before each send (the suppression check: opt-outs, do-not-contact). A refusal
   * becomes a `failed` receipt with its reason; nothing is sent. @default none
   */
  readonly beforeSend?: (message: OutboundMessage) => Promise<Refusal | undefined>;
  /** The clock of the channel rules (windows, reply tokens). @default () => new Date() */
  readonly now?: () => Date;
  /** Provider calls per message part, counting the first, before a 429/5xx becomes a failed receipt. @default 6 */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each time. @default 500 */
  readonly retryBaseMs?: number;
  /** Longest retry delay, even when Retry-After asks for more. @default 60000 */
  readonly retryMaxMs?: number;
  /** One provider call's timeout. @default 15000 */
  readonly callTimeoutMs?: number;
  /** Messages handled at once by this process. @default 64 */
  readonly concurrency?: number;
  /** The durable consumer every channels process of the cluster shares. @default "parley-channels" */
  readonly durable?: string;
  /** How long JetStream waits before giving a dead process's message to another one. @default 30000 */
  readonly ackWaitMs?: number;
}

/** The sign that LINE refused a reply token (the message is then pushed). */
const replyTokenRefused: SendOutcome = { kind: 'failed', reason: 'InvalidReplyToken' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The channels role's sender: a durable consumer of PARLEY_OUTBOUND shared by every
 * channels process. Per message: the channel's rules (via the provider's `toRequests`,
 * with the customer's state), the `beforeSend` hook, the shared pace, the provider call
 * with retries that honour `Retry-After`, and a `sent` or `failed` receipt.
 *
 * At most once more: "attempt started" is stored before the provider is called, so a
 * process killed between the provider's accept and the ack leaves a trace; the next
 * delivery calls again (counted in `parley_channel_resends_total`) with the same
 * idempotency key where the provider has one (LINE `X-Line-Retry-Key`; the open channel's
 * message id), so that only providers without one may deliver twice.
 *
 * Messages of channels with neither a provider block nor a transport are left to whoever
 * else reads the stream (an external gateway on its own consumer): acknowledged here,
 * counted as `skipped`.
 */
export async function startSender(options: SenderOptions): Promise<ConsumeLoop> {
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 6;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const callTimeoutMs = options.callTimeoutMs ?? 15_000;
  const transports = options.transports ?? [];
  const { db, metrics, logger, nc } = options;
  const chain = new KeyChain();

  const transportOf = (type: ChannelType) => transports.find((t) => t.types.includes(type));

  /** Paces, calls and retries one part of a message until it is accepted, failed, or out of tries. */
  const sendWithRetries = async (type: ChannelType, key: SentKey, pace: { key: string; rate: Rate; cost: number }, call: () => Promise<SendOutcome>): Promise<SendOutcome> => {
    for (let attempt = 1; ; attempt += 1) {
      const waitMs = await reserveSend(db, pace.key, pace.rate, pace.cost);
      metrics.pacingWait.observe({ type }, waitMs / 1000);
      if (waitMs > 0) await sleep(waitMs);
      const outcome = await call();
      if (outcome.kind !== 'retry') return outcome;
      metrics.sends.inc({ type, outcome: 'retried' });
      if (attempt >= maxAttempts) return { kind: 'failed', reason: `${outcome.reason}, gave up after ${attempt} tries` };
      await markRetry(db, key, outcome.reason, now());
      await sleep(retryDelayMs(attempt, outcome.afterMs, retryBaseMs, retryMaxMs));
    }
  };

  const finish = async (message: OutboundMessage, type: ChannelType, outcome: SendOutcome | Refusal): Promise<void> => {
    const at = now();
    const key = { tenant: message.tenant, messageId: message.id };
    if ('ok' in outcome) {
      await recordOutcome(db, key, { status: 'failed', reason: `${outcome.code}: ${outcome.reason}` }, at);
      await publishReceipt(nc, receiptOfRefusal(message, outcome, at));
      metrics.sends.inc({ type, outcome: 'refused' });
      return;
    }
    if (outcome.kind === 'retry') throw new Error('a retry outcome reached finish');
    await recordOutcome(db, key, outcome.kind === 'accepted' ? { status: 'sent', providerMessageId: outcome.providerMessageId } : { status: 'failed', reason: outcome.reason }, at);
    const receipt = receiptOfOutcome(message, outcome, at);
    if (receipt) await publishReceipt(nc, receipt);
    metrics.sends.inc({ type, outcome: outcome.kind === 'accepted' ? 'sent' : 'failed' });
  };

  const viaProvider = async (message: OutboundMessage, channel: ResolvedChannel): Promise<SendOutcome | Refusal> => {
    const customer = { tenant: message.tenant, channel: message.channel, customerId: message.to.id };
    const state = await sendStateOf(db, customer, now());
    // WhatsApp's messaging limit counts customers reached outside their window (templates).
    const limit = channel.messagingLimit;
    const outsideWindow = !state.lastInboundAt || state.now.getTime() - state.lastInboundAt.getTime() >= 24 * 3_600_000;
    if (limit && message.template && outsideWindow) {
      const refusal = await checkMessagingLimit(db, limit.account, message.to.id, state.now, limit.tier);
      if (refusal) return refusal;
    }
    let plan = channel.provider.toRequests(message, state);
    if (!plan.ok) return plan;
    const key = { tenant: message.tenant, messageId: message.id };
    let accepted: SendOutcome | undefined;
    let sent = 0;
    let usedReplyToken: string | undefined;
    for (let i = 0; i < plan.requests.length; i += 1) {
      const request = plan.requests[i]!;
      const replyToken = request.url.endsWith('/reply') && request.body.type === 'json' ? (request.body.value as { replyToken?: string }).replyToken : undefined;
      const cost = request.sms?.segments ?? 1;
      const outcome = await sendWithRetries(channel.provider.type, key, { key: channel.pacingKey, rate: channel.rate, cost }, async () => {
        const answer = await callProvider(channel.provider, request, callTimeoutMs);
        // LINE: an expired or used reply token is not retried as such: the message is pushed instead.
        return replyToken && answer.kind === 'retry' && answer.reason.startsWith('InvalidReplyToken') ? replyTokenRefused : answer;
      });
      if (outcome === replyTokenRefused) {
        await recordSent(db, customer, 0, replyToken);
        const { replyToken: _dropped, ...withoutToken } = state;
        plan = channel.provider.toRequests(message, withoutToken);
        if (!plan.ok) return plan;
        i = -1;
        continue;
      }
      if (outcome.kind === 'failed') {
        // Parts already delivered stay delivered; the receipt says the message as a whole failed.
        if (sent > 0) await recordSent(db, customer, sent, usedReplyToken);
        return sent > 0 ? { kind: 'failed', reason: `${outcome.reason} (after ${sent} of ${plan.requests.length} parts were sent)` } : outcome;
      }
      sent += 1;
      accepted ??= outcome;
      usedReplyToken ??= replyToken;
    }
    await recordSent(db, customer, sent, usedReplyToken);
    if (limit && message.template && outsideWindow) await recordReached(db, limit.account, message.to.id, state.now);
    return accepted ?? { kind: 'accepted' };
  };

  const send = async (message: OutboundMessage): Promise<void> => {
    const config = options.channels.configOf(message.tenant, message.channel);
    const transport = config && transportOf(config.type);
    if (!config || (!transport && !config.provider)) {
      metrics.sends.inc({ type: config?.type ?? 'unknown', outcome: 'skipped' });
      return;
    }
    const type = config.type;
    const key = { tenant: message.tenant, messageId: message.id };
    const attempt = await startAttempt(db, key, message.channel, message.to.id, now());
    if (attempt.previous === 'sent' || attempt.previous === 'delivered' || attempt.previous === 'read' || attempt.previous === 'failed') {
      // Done before a crash that came before the ack: only the receipt may be missing (re-published, de-duplicated).
      const outcome: SendOutcome = attempt.previous === 'failed' ? { kind: 'failed', reason: attempt.reason ?? 'failed' } : { kind: 'accepted', ...(attempt.providerMessageId ? { providerMessageId: attempt.providerMessageId } : {}) };
      const receipt = receiptOfOutcome(message, outcome, now());
      if (receipt) await publishReceipt(nc, receipt);
      return;
    }
    if (attempt.previous === 'attempting') {
      metrics.resends.inc({ type });
      logger.warn('sending again after an interrupted attempt', { tenant: message.tenant, channel: message.channel, messageId: message.id });
    }
    const refusal = await options.beforeSend?.(message);
    if (refusal) return finish(message, type, refusal);
    if (transport) {
      const channel = config.provider ? await options.channels.resolve(config) : undefined;
      const pace = channel ? { key: channel.pacingKey, rate: channel.rate, cost: 1 } : { key: `${message.tenant}/${message.channel}`, rate: rateOf(config.rateLimit), cost: 1 };
      return finish(message, type, await sendWithRetries(type, key, pace, () => transport.send(message, { tenant: message.tenant, channel: message.channel })));
    }
    const channel = await options.channels.resolve(config);
    return finish(message, type, await viaProvider(message, channel));
  };

  const handle = async (msg: JsMsg): Promise<Verdict> => {
    const decoded = decode(OutboundMessage, msg.data);
    if (!decoded.ok) {
      await deadLetter(nc, 'channels', msg, decoded.code, decoded.detail);
      return { handled: true };
    }
    const message = decoded.value;
    await chain.run(`${message.tenant}/${message.channel}/${message.to.id}`, () => send(message));
    return { ack: true };
  };

  return startConsumeLoop(nc, {
    stream: streams.outbound.name,
    durable: options.durable ?? 'parley-channels',
    concurrency: options.concurrency ?? 64,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    handle,
    onError: (err) => logger.error('outbound message failed, to be retried', { err }),
  });
}

function rateOf(limit: { messagesPerSecond: number; burst: number } | undefined): Rate {
  return limit ? { perSecond: limit.messagesPerSecond, burst: limit.burst } : { perSecond: 100, burst: 100 };
}
