import { z } from 'zod';
import { SecretKeyRef } from './common.ts';

/**
 * The `spec.provider` block of a Channel: which provider account the channels role speaks
 * to, its non-secret settings, and its secrets **by reference** (keys of Kubernetes Secrets
 * in the Channel's namespace; a local secrets file for `parley up`). The channels process
 * resolves the references itself: secrets never reach the configuration bucket.
 *
 * One sub-object per provider, exactly one of them, matching `spec.type`. A new channel
 * type (e-mail, web messaging) adds its own sub-object here.
 */

const Url = z.url({ protocol: /^https?$/ }).max(2048);
const Id = z.string().min(1).max(256);

/** WhatsApp messaging-limit tiers (unique customers reached outside a window per moving 24 h). */
export const MessagingLimitTiers = ['250', '2000', '10000', '100000', 'unlimited'] as const;

const WhatsApp = z.strictObject({
  /** The business phone number's id (`metadata.phone_number_id`). */
  phoneNumberId: z.string().regex(/^\d{1,32}$/, 'the numeric phone number id'),
  baseUrl: Url.optional(),
  apiVersion: z.string().regex(/^v\d+\.\d+$/).optional(),
  /** The messaging-limit tier of the business portfolio. @default "250" */
  messagingLimitTier: z.enum(MessagingLimitTiers).default('250'),
  secrets: z.strictObject({ appSecret: SecretKeyRef, accessToken: SecretKeyRef, verifyToken: SecretKeyRef }),
});

const Meta = z.strictObject({
  /** The Page id (Messenger) or the Instagram professional account id. */
  accountId: z.string().regex(/^\d{1,32}$/, 'the numeric account id'),
  baseUrl: Url.optional(),
  apiVersion: z.string().regex(/^v\d+\.\d+$/).optional(),
  /** Whether the app holds the Human Agent permission (replies up to 7 days). @default false */
  humanAgentTag: z.boolean().default(false),
  secrets: z.strictObject({ appSecret: SecretKeyRef, accessToken: SecretKeyRef, verifyToken: SecretKeyRef }),
});

const Twilio = z
  .strictObject({
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID, AC followed by 32 hex digits'),
    from: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number').optional(),
    messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'a messaging service SID').optional(),
    baseUrl: Url.optional(),
    secrets: z.strictObject({ authToken: SecretKeyRef }),
  })
  .refine((t) => t.from !== undefined || t.messagingServiceSid !== undefined, 'twilio needs from or messagingServiceSid');

const DotPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dot path such as message.from');

const HttpSms = z.strictObject({
  signature: z
    .strictObject({
      header: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a lower-case header name'),
      algorithm: z.enum(['sha1', 'sha256']),
      encoding: z.enum(['hex', 'base64']),
      prefix: z.string().max(32).optional(),
    })
    .optional(),
  inbound: z.strictObject({ messageId: DotPath, from: DotPath, text: DotPath, timestamp: DotPath.optional() }),
  status: z
    .strictObject({
      field: DotPath,
      messageId: DotPath,
      map: z.record(z.string().min(1).max(64), z.enum(['sent', 'delivered', 'read', 'failed'])),
      reason: DotPath.optional(),
    })
    .optional(),
  send: z.strictObject({
    url: Url,
    from: Id,
    fields: z.strictObject({ to: Id, from: Id, text: Id }).optional(),
    responseId: DotPath.optional(),
    maxTextLength: z.number().int().min(1).max(10_000).optional(),
  }),
  secrets: z.strictObject({
    webhookSecret: SecretKeyRef,
    /** Headers of the send API whose values are secret (e.g. `authorization: Bearer …`). */
    sendHeaders: z.record(z.string().regex(/^[a-z0-9-]{1,64}$/, 'a lower-case header name'), SecretKeyRef).optional(),
  }),
});

const Line = z.strictObject({
  botUserId: z.string().regex(/^U[0-9a-f]{32}$/, 'the bot user id, U followed by 32 hex digits').optional(),
  baseUrl: Url.optional(),
  dataBaseUrl: Url.optional(),
  secrets: z.strictObject({ channelSecret: SecretKeyRef, channelAccessToken: SecretKeyRef }),
});

const X = z.strictObject({
  /** The account's user id (`for_user_id`). */
  userId: z.string().regex(/^\d{1,32}$/, 'the numeric user id'),
  baseUrl: Url.optional(),
  secrets: z.strictObject({ consumerKey: SecretKeyRef, consumerSecret: SecretKeyRef, accessToken: SecretKeyRef, accessTokenSecret: SecretKeyRef }),
});

const Apple = z.strictObject({
  mspId: Id,
  businessId: Id,
  baseUrl: Url.optional(),
  secrets: z.strictObject({ secret: SecretKeyRef }),
});

const Open = z.strictObject({
  outboundUrl: Url,
  fromId: Id.optional(),
  secrets: z.strictObject({ secret: SecretKeyRef }),
});

/** Which sub-object each channel type takes. */
export const providerKeysByType = {
  whatsapp: ['whatsapp'],
  messenger: ['messenger'],
  instagram: ['instagram'],
  sms: ['twilio', 'httpSms'],
  line: ['line'],
  x: ['x'],
  apple: ['apple'],
  open: ['open'],
  web: [],
  email: [],
} as const;

export const ProviderKeys = ['whatsapp', 'messenger', 'instagram', 'twilio', 'httpSms', 'line', 'x', 'apple', 'open'] as const;
export type ProviderKey = (typeof ProviderKeys)[number];

export const ChannelProviderSpec = z
  .strictObject({
    whatsapp: WhatsApp.optional(),
    messenger: Meta.optional(),
    instagram: Meta.optional(),
    twilio: Twilio.optional(),
    httpSms: HttpSms.optional(),
    line: Line.optional(),
    x: X.optional(),
    apple: Apple.optional(),
    open: Open.optional(),
  })
  .refine((p) => ProviderKeys.filter((k) => p[k] !== undefined).length === 1, 'provider names exactly one of ' + ProviderKeys.join(', '));
export type ChannelProviderSpec = z.infer<typeof ChannelProviderSpec>;

/** The provider key set in a provider block. */
export function providerKeyOf(provider: ChannelProviderSpec): ProviderKey {
  const key = ProviderKeys.find((k) => provider[k] !== undefined);
  if (!key) throw new Error('a provider block without a provider');
  return key;
}

const ref = (what: string) => ({ '': what, '.name': 'The Secret\'s name.', '.key': 'The key inside the Secret.' });
function refs(base: string, entries: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, what] of Object.entries(entries)) for (const [suffix, text] of Object.entries(ref(what))) out[`${base}.${field}${suffix}`] = text;
  return out;
}
const baseUrlText = 'The API base URL: a fake or a proxy for tests and staging.';
const metaDescriptions = (p: string, what: string) => ({
  [p]: `${what}: the Page (or professional account) and its Meta app.`,
  [`${p}.accountId`]: 'The Page id (Messenger) or the Instagram professional account id (`entry[].id` of webhooks).',
  [`${p}.baseUrl`]: `${baseUrlText} Default https://graph.facebook.com.`,
  [`${p}.apiVersion`]: 'The Graph API version, e.g. v23.0.',
  [`${p}.humanAgentTag`]: 'Whether the app holds the Human Agent permission: agents may then answer up to 7 days after the customer\'s last message.',
  [`${p}.secrets`]: 'Secret references.',
  ...refs(`${p}.secrets`, { appSecret: 'The Meta app secret (signs webhooks).', accessToken: 'The Page access token.', verifyToken: 'The verify token typed into the app\'s webhook settings.' }),
});

/** Field descriptions for the CRD (crd-schema.ts). */
export const providerDescriptions: Record<string, string> = {
  'spec.provider': 'The provider account this channel speaks to: exactly one sub-object, matching spec.type. Secrets are references to Secrets in the Channel\'s namespace, resolved by the channels process.',
  'spec.provider.whatsapp': 'WhatsApp Cloud API: one business phone number.',
  'spec.provider.whatsapp.phoneNumberId': 'The business phone number id (`metadata.phone_number_id`).',
  'spec.provider.whatsapp.baseUrl': `${baseUrlText} Default https://graph.facebook.com.`,
  'spec.provider.whatsapp.apiVersion': 'The Graph API version, e.g. v23.0.',
  'spec.provider.whatsapp.messagingLimitTier': 'Unique customers that may be reached outside a customer-service window per moving 24 hours (the portfolio\'s messaging limit): 250, 2000, 10000, 100000 or unlimited.',
  'spec.provider.whatsapp.secrets': 'Secret references.',
  ...refs('spec.provider.whatsapp.secrets', { appSecret: 'The Meta app secret (signs webhooks).', accessToken: 'A system-user access token with whatsapp_business_messaging.', verifyToken: 'The verify token typed into the app\'s webhook settings.' }),
  ...metaDescriptions('spec.provider.messenger', 'Messenger'),
  ...metaDescriptions('spec.provider.instagram', 'Instagram messaging'),
  'spec.provider.twilio': 'Twilio Programmable Messaging (SMS/MMS).',
  'spec.provider.twilio.accountSid': 'The account SID (AC…).',
  'spec.provider.twilio.from': 'The sending number (E.164), unless messagingServiceSid is set.',
  'spec.provider.twilio.messagingServiceSid': 'Send through this Messaging Service (MG…) instead of from.',
  'spec.provider.twilio.baseUrl': `${baseUrlText} Default https://api.twilio.com.`,
  'spec.provider.twilio.secrets': 'Secret references.',
  ...refs('spec.provider.twilio.secrets', { authToken: 'The auth token (signs webhooks, authenticates API calls).' }),
  'spec.provider.httpSms': 'Any HTTP SMS aggregator with JSON webhooks signed by a body HMAC and a JSON send API, described by configuration.',
  'spec.provider.httpSms.signature': 'How webhooks are signed. Default header x-signature, sha256, hex, no prefix.',
  'spec.provider.httpSms.signature.header': 'The header carrying the signature (lower case).',
  'spec.provider.httpSms.signature.algorithm': 'The HMAC hash: sha1 or sha256.',
  'spec.provider.httpSms.signature.encoding': 'How the HMAC is written: hex or base64.',
  'spec.provider.httpSms.signature.prefix': 'Text before the HMAC in the header, e.g. sha256=.',
  'spec.provider.httpSms.inbound': 'Dot paths of an inbound message\'s fields in the webhook body.',
  'spec.provider.httpSms.inbound.messageId': 'The provider\'s message id.',
  'spec.provider.httpSms.inbound.from': 'The sender\'s number.',
  'spec.provider.httpSms.inbound.text': 'The message text.',
  'spec.provider.httpSms.inbound.timestamp': 'The send time (ISO-8601 or Unix seconds); the arrival time when absent.',
  'spec.provider.httpSms.status': 'How delivery reports are recognized and mapped.',
  'spec.provider.httpSms.status.field': 'A webhook with a value at this path is a delivery report.',
  'spec.provider.httpSms.status.messageId': 'The path of the provider\'s id of the message sent.',
  'spec.provider.httpSms.status.map': 'Provider status to receipt status (sent, delivered, read, failed); other values give no receipt.',
  'spec.provider.httpSms.status.reason': 'The path of the failure reason.',
  'spec.provider.httpSms.send': 'The send API.',
  'spec.provider.httpSms.send.url': 'The URL messages are POSTed to.',
  'spec.provider.httpSms.send.from': 'The sender number or id.',
  'spec.provider.httpSms.send.fields': 'Body field names. Default to, from, text.',
  'spec.provider.httpSms.send.fields.to': 'The recipient field.',
  'spec.provider.httpSms.send.fields.from': 'The sender field.',
  'spec.provider.httpSms.send.fields.text': 'The text field.',
  'spec.provider.httpSms.send.responseId': 'The dot path of the message id in the answer. Default id.',
  'spec.provider.httpSms.send.maxTextLength': 'Longest text per message; longer text is split. Default 1600.',
  'spec.provider.httpSms.secrets': 'Secret references.',
  ...refs('spec.provider.httpSms.secrets', { webhookSecret: 'The HMAC key of inbound webhooks.' }),
  'spec.provider.httpSms.secrets.sendHeaders': 'Headers of the send API whose values are secret, e.g. authorization.',
  'spec.provider.httpSms.secrets.sendHeaders{}': 'The Secret key holding the header\'s value.',
  'spec.provider.httpSms.secrets.sendHeaders{}.name': 'The Secret\'s name.',
  'spec.provider.httpSms.secrets.sendHeaders{}.key': 'The key inside the Secret.',
  'spec.provider.line': 'LINE Messaging API: one LINE Official Account channel.',
  'spec.provider.line.botUserId': 'The bot\'s user id (`destination` of webhooks); webhooks for another bot are refused.',
  'spec.provider.line.baseUrl': `${baseUrlText} Default https://api.line.me.`,
  'spec.provider.line.dataBaseUrl': 'Where message content is downloaded. Default https://api-data.line.me.',
  'spec.provider.line.secrets': 'Secret references.',
  ...refs('spec.provider.line.secrets', { channelSecret: 'The channel secret (signs webhooks).', channelAccessToken: 'The channel access token.' }),
  'spec.provider.x': 'X direct messages through the Account Activity API.',
  'spec.provider.x.userId': 'The account\'s numeric user id (`for_user_id` of webhooks).',
  'spec.provider.x.baseUrl': `${baseUrlText} Default https://api.x.com.`,
  'spec.provider.x.secrets': 'Secret references.',
  ...refs('spec.provider.x.secrets', {
    consumerKey: 'The app\'s API key.',
    consumerSecret: 'The app\'s API secret (signs webhooks and answers the CRC check).',
    accessToken: 'The account\'s OAuth 1.0a access token.',
    accessTokenSecret: 'The account\'s OAuth 1.0a access token secret.',
  }),
  'spec.provider.apple': 'Apple Messages for Business, with Parley as the messaging service provider.',
  'spec.provider.apple.mspId': 'The messaging service provider id.',
  'spec.provider.apple.businessId': 'The business id (destination-id of inbound messages).',
  'spec.provider.apple.baseUrl': `${baseUrlText} Default https://mspgw.push.apple.com.`,
  'spec.provider.apple.secrets': 'Secret references.',
  ...refs('spec.provider.apple.secrets', { secret: 'The MSP API secret, Base64 as Apple issues it.' }),
  'spec.provider.open': 'The open channel: any gateway speaking the Genesys Open Messaging shape over signed HTTP.',
  'spec.provider.open.outboundUrl': 'Where agent replies are POSTed (the gateway\'s outbound webhook).',
  'spec.provider.open.fromId': 'Our id as the sender of outbound messages. Default parley.',
  'spec.provider.open.secrets': 'Secret references.',
  ...refs('spec.provider.open.secrets', { secret: 'The shared secret both sides sign with.' }),
};

/** CEL rules for the CRD: exactly one provider, matching spec.type. */
export const providerRules = {
  'spec.provider': [{ rule: `[${ProviderKeys.map((k) => `has(self.${k})`).join(', ')}].filter(x, x).size() == 1`, message: `provider names exactly one of ${ProviderKeys.join(', ')}` }],
  spec: [
    {
      rule: `!has(self.provider) || ${Object.entries(providerKeysByType)
        .filter(([, keys]) => keys.length > 0)
        .map(([type, keys]) => `(self.type == '${type}') == (${keys.map((k) => `has(self.provider.${k})`).join(' || ')})`)
        .join(' && ')}`,
      message: 'the provider sub-object must match spec.type (sms takes twilio or httpSms)',
    },
  ],
};
