import {
  appleProvider,
  httpSmsProvider,
  lineProvider,
  messengerProvider,
  openProvider,
  resolveWhatsAppOptions,
  twilioProvider,
  whatsAppProvider,
  whatsAppTemplateRequest,
  xProvider,
  type ChannelProvider,
} from '../channels/index.ts';
import type { ChannelConfig } from '../config/index.ts';
import { RichContentKinds, type RichContentKind } from '../channels/index.ts';
import type { Rate } from './pacing.ts';
import type { SecretRef, SecretSource } from './secrets.ts';

/** A GET on the webhook URL: Meta's verify handshake or X's CRC check. */
export type WebhookGet = (query: URLSearchParams) => { status: number; body: string; contentType: string };

/** A Channel ready for the channels role: its provider object, with secrets resolved, and its limits. */
export interface ResolvedChannel {
  readonly tenant: string;
  readonly name: string;
  readonly provider: ChannelProvider;
  /** Answers GETs on the webhook URL, for providers that make them. */
  readonly get?: WebhookGet;
  /** The provider account or number the pace is shared by (several Channels on one number share it). */
  readonly pacingKey: string;
  /** The pace: the Channel's `rateLimit`, else the provider's documented default. */
  readonly rate: Rate;
  /** WhatsApp: the messaging-limit tier and the account it counts for. */
  readonly messagingLimit?: { readonly account: string; readonly tier: number | 'unlimited' };
}

/**
 * Sending rates when the Channel sets none, from the providers' documents
 * (reference/channels-and-campaigns.md §c): WhatsApp 80 messages/s per number; a Twilio US
 * long code 1 segment/s; the others are limited by their own 429 answers.
 */
const defaultRates: Record<string, Rate> = {
  whatsapp: { perSecond: 80, burst: 80 },
  twilio: { perSecond: 1, burst: 1 },
  httpSms: { perSecond: 10, burst: 10 },
  messenger: { perSecond: 100, burst: 100 },
  instagram: { perSecond: 100, burst: 100 },
  line: { perSecond: 100, burst: 100 },
  x: { perSecond: 10, burst: 10 },
  apple: { perSecond: 100, burst: 100 },
  open: { perSecond: 100, burst: 100 },
};

export class ChannelNotConnectedError extends Error {
  override readonly name = 'ChannelNotConnectedError';
}

const richKinds: Record<string, RichContentKind> = Object.fromEntries(RichContentKinds.map((k) => [k, k]));

/**
 * Builds the provider of a Channel from its `spec.provider` block, reading its secrets from
 * `secrets`. `publicBaseUrl` is where providers reach the webhook server (Twilio signs the
 * full URL and needs it for status callbacks).
 */
export async function resolveChannel(channel: ChannelConfig, secrets: SecretSource, publicBaseUrl: string | undefined): Promise<ResolvedChannel> {
  const p = channel.provider;
  if (!p) throw new ChannelNotConnectedError(`channel ${channel.tenant}/${channel.name} has no spec.provider: nothing to send through`);
  const secret = (ref: SecretRef) => secrets.read(channel.tenant, ref);
  const disabledContent = channel.richContentDisabled.map((k) => richKinds[k]).filter((k): k is RichContentKind => k !== undefined);
  const base = { tenant: channel.tenant, name: channel.name };
  const rateOf = (key: string): Rate =>
    channel.rateLimit ? { perSecond: channel.rateLimit.messagesPerSecond, burst: channel.rateLimit.burst } : (defaultRates[key] ?? { perSecond: 10, burst: 10 });
  const url = (u: string | undefined) => (u ? { baseUrl: u.replace(/\/+$/, '') } : {});

  if (p.whatsapp) {
    const w = p.whatsapp;
    const options = { appSecret: await secret(w.secrets.appSecret), verifyToken: await secret(w.secrets.verifyToken), accessToken: await secret(w.secrets.accessToken), phoneNumberId: w.phoneNumberId, disabledContent, ...url(w.baseUrl), ...(w.apiVersion ? { apiVersion: w.apiVersion } : {}) };
    const provider = whatsAppProvider(options);
    const resolved = resolveWhatsAppOptions(options);
    return {
      ...base,
      provider: {
        ...provider,
        // A template is the one message allowed outside the customer-service window.
        toRequests: (message, state) =>
          message.template ? { ok: true, requests: [whatsAppTemplateRequest(resolved, message.to, message.template, message.id)], options: [] } : provider.toRequests(message, state),
      },
      get: hubGet((query) => provider.handshake(query)),
      pacingKey: `whatsapp:${w.phoneNumberId}`,
      rate: rateOf('whatsapp'),
      messagingLimit: { account: `whatsapp:${w.phoneNumberId}`, tier: w.messagingLimitTier === 'unlimited' ? 'unlimited' : Number(w.messagingLimitTier) },
    };
  }
  const meta = p.messenger ?? p.instagram;
  if (meta) {
    const platform = p.messenger ? 'messenger' : 'instagram';
    const provider = messengerProvider({
      platform,
      appSecret: await secret(meta.secrets.appSecret),
      verifyToken: await secret(meta.secrets.verifyToken),
      accessToken: await secret(meta.secrets.accessToken),
      accountId: meta.accountId,
      humanAgentTag: meta.humanAgentTag,
      disabledContent,
      ...url(meta.baseUrl),
      ...(meta.apiVersion ? { apiVersion: meta.apiVersion } : {}),
    });
    return { ...base, provider, get: hubGet((query) => provider.handshake(query)), pacingKey: `${platform}:${meta.accountId}`, rate: rateOf(platform) };
  }
  if (p.twilio) {
    const t = p.twilio;
    const provider = twilioProvider({
      accountSid: t.accountSid,
      authToken: await secret(t.secrets.authToken),
      ...(t.from ? { from: t.from } : {}),
      ...(t.messagingServiceSid ? { messagingServiceSid: t.messagingServiceSid } : {}),
      ...(publicBaseUrl ? { statusCallbackUrl: webhookUrl(publicBaseUrl, channel.tenant, channel.name) } : {}),
      disabledContent,
      ...url(t.baseUrl),
    });
    return { ...base, provider, pacingKey: `twilio:${t.accountSid}:${t.from ?? t.messagingServiceSid ?? ''}`, rate: rateOf('twilio') };
  }
  if (p.httpSms) {
    const h = p.httpSms;
    const headers: Record<string, string> = {};
    for (const [name, ref] of Object.entries(h.secrets.sendHeaders ?? {})) headers[name] = await secret(ref);
    const provider = httpSmsProvider({
      webhookSecret: await secret(h.secrets.webhookSecret),
      ...(h.signature ? { signature: h.signature } : {}),
      inbound: h.inbound,
      ...(h.status ? { status: h.status } : {}),
      send: { ...h.send, headers },
    });
    return { ...base, provider, pacingKey: `httpSms:${h.send.url}:${h.send.from}`, rate: rateOf('httpSms') };
  }
  if (p.line) {
    const l = p.line;
    const provider = lineProvider({
      channelSecret: await secret(l.secrets.channelSecret),
      channelAccessToken: await secret(l.secrets.channelAccessToken),
      ...(l.botUserId ? { botUserId: l.botUserId } : {}),
      ...(l.dataBaseUrl ? { dataBaseUrl: l.dataBaseUrl } : {}),
      disabledContent,
      ...url(l.baseUrl),
    });
    return { ...base, provider, pacingKey: `line:${l.botUserId ?? `${channel.tenant}/${channel.name}`}`, rate: rateOf('line') };
  }
  if (p.x) {
    const x = p.x;
    const provider = xProvider({
      consumerKey: await secret(x.secrets.consumerKey),
      consumerSecret: await secret(x.secrets.consumerSecret),
      accessToken: await secret(x.secrets.accessToken),
      accessTokenSecret: await secret(x.secrets.accessTokenSecret),
      userId: x.userId,
      disabledContent,
      ...url(x.baseUrl),
    });
    const get: WebhookGet = (query) => {
      const token = query.get('crc_token');
      if (!token) return { status: 400, body: 'missing crc_token', contentType: 'text/plain' };
      return { status: 200, body: JSON.stringify(provider.crc(token)), contentType: 'application/json' };
    };
    return { ...base, provider, get, pacingKey: `x:${x.userId}`, rate: rateOf('x') };
  }
  if (p.apple) {
    const a = p.apple;
    const provider = appleProvider({ mspId: a.mspId, businessId: a.businessId, secret: await secret(a.secrets.secret), disabledContent, ...url(a.baseUrl) });
    return { ...base, provider, pacingKey: `apple:${a.businessId}`, rate: rateOf('apple') };
  }
  if (p.open) {
    const o = p.open;
    const provider = openProvider({ secret: await secret(o.secrets.secret), outboundUrl: o.outboundUrl, ...(o.fromId ? { fromId: o.fromId } : {}) });
    return { ...base, provider, pacingKey: `open:${o.outboundUrl}`, rate: rateOf('open') };
  }
  throw new ChannelNotConnectedError(`channel ${channel.tenant}/${channel.name}: spec.provider names no provider this process knows`);
}

/** The public webhook URL of a Channel. */
export function webhookUrl(publicBaseUrl: string, tenant: string, channel: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/${tenant}/${channel}`;
}

function hubGet(handshake: (query: URLSearchParams) => { ok: true; challenge: string } | { ok: false; reason: string }): WebhookGet {
  return (query) => {
    const result = handshake(query);
    return result.ok ? { status: 200, body: result.challenge, contentType: 'text/plain' } : { status: 403, body: result.reason, contentType: 'text/plain' };
  };
}
