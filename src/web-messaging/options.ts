import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import type { WebChannelSettings } from './channel-settings.ts';

/** What the web-messaging routes need from the process that mounts them. */
export interface WebMessagingDeps {
  nc: NatsConnection;
  /** Read for history, agents' presence and conversations; written only for `web_attachments`. */
  db: Kysely<Database>;
  /**
   * The Channel's web settings, or undefined when `tenant/channel` is not a `web` Channel
   * (answered 404). Called on every request: back it by the live config registry.
   */
  channels: (tenant: string, channel: string) => WebChannelSettings | undefined;
  /** HS256 key for session tokens and attachment links (at least 32 bytes), one per deployment. */
  secret: Uint8Array;
  logger?: Logger;
  /** Where the `parley_web_*` metrics go. @default a private registry (not exported) */
  registry?: Registry;
  options?: WebMessagingOptions;
}

export interface WebMessagingOptions {
  /** How long a session token is valid; a resumed session gets a fresh one. @default 2_592_000 (30 days) */
  sessionTtlSeconds?: number;
  /** Largest upload. @default 10_485_760 (10 MiB) */
  maxAttachmentBytes?: number;
  /** Content types a customer may upload. @default images (png, jpeg, gif, webp), pdf, plain text */
  attachmentTypes?: readonly string[];
  /** Messages, postbacks and uploads a session may send per window. @default 10 */
  messagesPerWindow?: number;
  /** Typing frames a session may send per window (beyond that they are ignored). @default 10 */
  typingPerWindow?: number;
  /** @default 10_000 */
  rateWindowMs?: number;
  /** How long a socket may wait before its `auth` frame when no `?token=` was given. @default 10_000 */
  authTimeoutMs?: number;
  /** How long a publish waits for JetStream's PubAck before the client is told to resend. @default 5_000 */
  publishTimeoutMs?: number;
  /** Most messages `GET …/history` returns (the latest ones). @default 500 */
  historyLimit?: number;
  /**
   * The public base URL of these routes (`https://chat.example.com`), for attachment links
   * put into messages. @default the request's own scheme and host
   */
  publicUrl?: string;
  /** The built widget served at `/web/v1/widget.js`. @default dist/web/widget.js of this package */
  widgetScriptPath?: string;
}

export type ResolvedWebOptions = Required<Omit<WebMessagingOptions, 'publicUrl' | 'widgetScriptPath'>> & { publicUrl: string | undefined; widgetScriptPath: string | undefined };

export const defaultAttachmentTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'] as const;

export function resolveWebOptions(options: WebMessagingOptions = {}): ResolvedWebOptions {
  return {
    sessionTtlSeconds: options.sessionTtlSeconds ?? 30 * 86_400,
    maxAttachmentBytes: options.maxAttachmentBytes ?? 10 * 1024 * 1024,
    attachmentTypes: options.attachmentTypes ?? defaultAttachmentTypes,
    messagesPerWindow: options.messagesPerWindow ?? 10,
    typingPerWindow: options.typingPerWindow ?? 10,
    rateWindowMs: options.rateWindowMs ?? 10_000,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
    historyLimit: options.historyLimit ?? 500,
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    widgetScriptPath: options.widgetScriptPath,
  };
}
