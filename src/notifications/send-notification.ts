import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { ParleyError, subjects, type OutboundMessage } from '../contract/index.ts';
import { checkCallableWindow, derivedUuid, isSuppressed, normalizeEmail, normalizePhone, recipientTimeZone } from '../compliance/index.ts';
import type { Database, NotificationRow } from '../store/index.ts';
import { callbackUrlProblem } from './callback-url.ts';
import { isTransactional } from './categories.ts';
import { IdempotencyConflictError, NotificationRequestError } from './errors.ts';
import { renderTemplate } from './render.ts';
import { NotificationRequest, requestHash } from './request.ts';
import { notificationView, type NotificationView } from './view.ts';

/** Where the notification service learns a Channel's kind (`ConfigRegistry` is one). */
export interface ChannelDirectory {
  channel(tenant: string, name: string): { type: string } | undefined;
}

export interface NotificationSenderOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  channels: ChannelDirectory;
  /** The zone of a recipient whose zone is unknown or ambiguous (then with the strictest window, 8am–8pm). @default 'UTC' */
  defaultTimeZone?: string;
  /** The clock (tests move it). @default () => new Date() */
  now?: () => Date;
  /** Accept callback URLs that are plain http or point to private addresses (tests, closed networks). @default false */
  allowPrivateCallbacks?: boolean;
}

/** Who asks: an OAuth client of a tenant. */
export interface NotificationCaller {
  tenant: string;
  clientId: string;
}

export interface SendResult {
  notification: NotificationView;
  /** True when the Idempotency-Key named an earlier notification with the same body: nothing new was sent. */
  replayed: boolean;
}

const NotificationKinds = ['sms', 'whatsapp', 'email'] as const;
type NotificationKind = (typeof NotificationKinds)[number];
const phoneKinds: readonly string[] = ['sms', 'whatsapp'];

/**
 * Sends one agentless notification: validates and renders it, applies the tenant's
 * suppression (opt-outs, do-not-contact lists) and the quiet hours unless its category is
 * transactional, records it in `notifications`, and publishes an OutboundMessage
 * (`origin.kind = 'notification'`, a conversation of its own). A refused notification is
 * recorded too, with its reason, and not published.
 *
 * With an `Idempotency-Key`, the ids are derived from (tenant, key): the same key and body
 * return the first notification; another body is an `IdempotencyConflictError`.
 * @throws ZodError (a malformed body), `NotificationRequestError`, `TemplateError`,
 *   `IdempotencyConflictError`, ParleyError `unavailable` (JetStream did not take it).
 */
export class NotificationSender {
  private readonly defaultTimeZone: string;
  private readonly now: () => Date;
  constructor(private readonly options: NotificationSenderOptions) {
    this.defaultTimeZone = options.defaultTimeZone ?? 'UTC';
    this.now = options.now ?? (() => new Date());
  }

  async send(caller: NotificationCaller, body: unknown, idempotencyKey?: string): Promise<SendResult> {
    const { db } = this.options;
    const hash = requestHash(body);
    if (idempotencyKey !== undefined) {
      const earlier = await this.byKey(caller.tenant, idempotencyKey);
      if (earlier) return this.replay(earlier, hash);
    }
    const request = NotificationRequest.parse(body);
    const unsafe = request.callbackUrl === undefined ? undefined : callbackUrlProblem(request.callbackUrl, this.options.allowPrivateCallbacks ?? false);
    if (unsafe) throw new NotificationRequestError(unsafe);
    const kind = this.kindOf(caller.tenant, request.channel);
    const recipient = recipientOf(kind, request.to);
    const transactional = await isTransactional(db, caller.tenant, request.category);
    const message = await this.compose(caller.tenant, kind, recipient, request, transactional, idempotencyKey);
    const refusal = transactional ? undefined : await this.refusal(caller.tenant, kind, recipient, request.timeZone);

    const row = await db
      .insertInto('notifications')
      .values({
        id: message.origin?.kind === 'notification' ? message.origin.notificationId : message.id,
        tenant: caller.tenant,
        client_id: caller.clientId,
        idempotency_key: idempotencyKey ?? null,
        request_hash: hash,
        channel: request.channel,
        channel_kind: kind,
        recipient,
        category: request.category,
        transactional,
        status: refusal ? 'refused' : 'accepted',
        reason: refusal ?? null,
        message_id: message.id,
        conversation_id: message.conversationId,
        template: request.whatsappTemplate?.name ?? (request.template === undefined ? null : 'liquid'),
        text: message.text ?? null,
        callback_url: request.callbackUrl ?? null,
      })
      .onConflict((oc) => oc.columns(['tenant', 'idempotency_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      // Another request with the same key won the race: answer as a retry of it.
      return this.replay((await this.byKey(caller.tenant, idempotencyKey!))!, hash);
    }
    if (!refusal) await this.publish(row, message);
    return { notification: notificationView(row), replayed: false };
  }

  async get(tenant: string, id: string): Promise<NotificationView | undefined> {
    // The column is a uuid: anything else is no such notification, not a database error.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const row = await this.options.db.selectFrom('notifications').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    return row && notificationView(row);
  }

  private byKey(tenant: string, key: string): Promise<NotificationRow | undefined> {
    return this.options.db.selectFrom('notifications').selectAll().where('tenant', '=', tenant).where('idempotency_key', '=', key).executeTakeFirst();
  }

  private replay(earlier: NotificationRow, hash: string): SendResult {
    if (earlier.request_hash !== hash) throw new IdempotencyConflictError(earlier.id);
    return { notification: notificationView(earlier), replayed: true };
  }

  private kindOf(tenant: string, channel: string): NotificationKind {
    const type = this.options.channels.channel(tenant, channel)?.type;
    if (type === undefined) throw new NotificationRequestError(`no channel ${JSON.stringify(channel)} in this tenant`);
    if (!(NotificationKinds as readonly string[]).includes(type)) throw new NotificationRequestError(`notifications go by sms, whatsapp or email; channel ${channel} is ${type}`);
    return type as NotificationKind;
  }

  private async compose(
    tenant: string,
    kind: NotificationKind,
    recipient: string,
    request: NotificationRequest,
    transactional: boolean,
    idempotencyKey: string | undefined,
  ): Promise<OutboundMessage> {
    if (kind === 'whatsapp') {
      if (!request.whatsappTemplate || request.text !== undefined || request.template !== undefined) {
        throw new NotificationRequestError('a WhatsApp notification is an approved template: give whatsappTemplate (and no text or template)');
      }
    } else if (request.whatsappTemplate) throw new NotificationRequestError(`whatsappTemplate is for WhatsApp channels, not ${kind}`);
    if (kind !== 'whatsapp' && request.text === undefined && request.template === undefined) throw new NotificationRequestError('give text or template');
    if (kind === 'email' && !request.email) throw new NotificationRequestError('an e-mail notification needs email.subject');
    if (kind !== 'email' && request.email) throw new NotificationRequestError(`email is for e-mail channels, not ${kind}`);

    const data = request.data ?? {};
    const liquid = request.template !== undefined;
    const text = liquid ? await renderTemplate(request.template!, data) : request.text;
    const email = request.email && {
      subject: liquid ? await renderTemplate(request.email.subject, data) : request.email.subject,
      ...(request.email.html !== undefined && { html: liquid ? await renderTemplate(request.email.html, data, 'html') : request.email.html }),
    };
    // With a key, a retry after a crash rebuilds the same ids, so the stream drops the second publish.
    const id = (what: string) => (idempotencyKey === undefined ? randomUUID() : derivedUuid(`notification:${what}:${tenant}:${idempotencyKey}`));
    return {
      version: 1,
      id: id('message'),
      tenant,
      channel: request.channel,
      conversationId: id('conversation'),
      to: { id: recipient, idType: kind === 'email' ? 'email' : 'phone' },
      timestamp: this.now().toISOString(),
      ...(text !== undefined && { text }),
      ...(request.whatsappTemplate && { template: request.whatsappTemplate }),
      ...(email && { email }),
      // The channels sender's suppression check lets transactional ones through.
      origin: { kind: 'notification', notificationId: id('notification'), category: transactional ? 'transactional' : 'marketing' },
    };
  }

  /** Why a marketing notification may not go now, or undefined. */
  private async refusal(tenant: string, kind: NotificationKind, recipient: string, timeZone: string | undefined): Promise<string | undefined> {
    const suppressed = await isSuppressed(this.options.db, tenant, recipient, kind);
    if (suppressed?.reason === 'opted-out') return `RecipientOptedOut: the recipient opted out on ${suppressed.since.toISOString()}`;
    if (suppressed) return `DoNotContact: the recipient is on the do-not-contact list ${suppressed.listId}`;
    // Quiet hours are a telephone rule (TCPA, state laws): e-mail has none.
    if (!phoneKinds.includes(kind)) return undefined;
    const zones = await recipientTimeZone(recipient, timeZone);
    const window = checkCallableWindow(zones, this.now(), { defaultZone: this.defaultTimeZone });
    if (window.open) return undefined;
    return `QuietHours: outside 8am–${zones.length === 1 ? '9pm' : '8pm'} in ${window.zone}; send again from ${window.nextOpening.toISOString()}`;
  }

  private async publish(row: NotificationRow, message: OutboundMessage): Promise<void> {
    try {
      await jetstream(this.options.nc).publish(subjects.outbound(row.tenant, row.channel), JSON.stringify(message), { msgID: message.id });
    } catch (err) {
      // Not sent: forget it, so that a retry with the same key sends it (same message id).
      await this.options.db.deleteFrom('notifications').where('id', '=', row.id).execute();
      throw new ParleyError('unavailable', `the notification could not be handed to JetStream: ${(err as Error).message}`, { cause: err });
    }
  }
}

function recipientOf(kind: NotificationKind, to: string): string {
  const address = kind === 'email' ? normalizeEmail(to) : normalizePhone(to);
  if (!address.ok) throw new NotificationRequestError(`to: ${address.reason}${kind === 'email' ? '' : ' (write phone numbers in E.164, e.g. +14155552671)'}`);
  return address.value;
}
