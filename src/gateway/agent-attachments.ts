import { createHmac, randomUUID } from 'node:crypto';
import type { ColumnType, Kysely } from 'kysely';
import { safeEqual } from '../channels/index.ts';
import type { Attachment } from '../contract/index.ts';
import type { Database } from '../store/index.ts';

/** `agent_attachments` (migration 2026-12-08T0317): files agents uploaded to send in a reply. */
interface AgentAttachmentTable {
  id: string;
  tenant: string;
  conversation_id: string;
  agent_id: string;
  content_type: string;
  filename: string | null;
  size: number;
  data: Buffer;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

type Db = Kysely<Database>;
const withAttachments = (db: Db) => db.withTables<{ agent_attachments: AgentAttachmentTable }>();

export interface AgentUpload {
  tenant: string;
  conversationId: string;
  agentId: string;
  contentType: string;
  filename: string | undefined;
  data: Buffer;
}

export async function storeAgentAttachment(db: Db, upload: AgentUpload): Promise<string> {
  const id = randomUUID();
  await withAttachments(db)
    .insertInto('agent_attachments')
    .values({
      id,
      tenant: upload.tenant,
      conversation_id: upload.conversationId,
      agent_id: upload.agentId,
      content_type: upload.contentType,
      filename: upload.filename ?? null,
      size: upload.data.length,
      data: upload.data,
    })
    .execute();
  return id;
}

export async function loadAgentAttachment(db: Db, id: string) {
  return withAttachments(db).selectFrom('agent_attachments').select(['content_type', 'filename', 'data']).where('id', '=', id).executeTakeFirst();
}

/**
 * The link providers fetch the file at. It is a capability, like the widget's links: the
 * HMAC binds the id and the expiry, so it opens without a session (WhatsApp, Twilio… hold
 * no token of ours), cannot be turned into another file's link, and stops working at
 * `expires` (Unix seconds). The `agent-attachment/` prefix keeps these signatures apart
 * from the widget's, should both be made with one key.
 */
export interface AttachmentLinks {
  key: Uint8Array;
  /** `https://host[/prefix]`, or undefined: the URL the upload request came to. */
  publicUrl: string | undefined;
  ttlSeconds: number;
}

export function linkSignature(key: Uint8Array, id: string, expires: number): string {
  return createHmac('sha256', key).update(`agent-attachment/${id}/${expires}`).digest('base64url');
}

/** Whether `sig` signs this id and expiry (whether the expiry has passed is the caller's to say). */
export function linkSigned(key: Uint8Array, id: string, expires: number, sig: string): boolean {
  return Number.isSafeInteger(expires) && safeEqual(sig, linkSignature(key, id, expires));
}

/** The contract Attachment of a stored upload, with its signed, expiring absolute URL. */
export function attachmentLink(links: AttachmentLinks, baseUrl: string, row: { id: string; contentType: string; filename: string | undefined; size: number }, nowMs = Date.now()): Attachment {
  const expires = Math.floor(nowMs / 1000) + links.ttlSeconds;
  const query = new URLSearchParams({ expires: String(expires), sig: linkSignature(links.key, row.id, expires) });
  return {
    url: `${baseUrl.replace(/\/+$/, '')}/v1/attachments/${row.id}?${query.toString()}`,
    contentType: row.contentType,
    ...(row.filename !== undefined && { filename: row.filename }),
    size: row.size,
  };
}
