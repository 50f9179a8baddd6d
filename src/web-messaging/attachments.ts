import { createHmac, randomUUID } from 'node:crypto';
import type { ColumnType, Kysely } from 'kysely';
import { safeEqual } from '../channels/index.ts';
import type { Attachment } from '../contract/index.ts';
import type { Database } from '../store/index.ts';

/** `web_attachments` (migration 2026-12-05T0301): files customers uploaded. */
export interface WebAttachmentTable {
  id: string;
  tenant: string;
  channel: string;
  customer_id: string;
  content_type: string;
  filename: string | null;
  size: number;
  data: Buffer;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

type Db = Kysely<Database>;
const withAttachments = (db: Db) => db.withTables<{ web_attachments: WebAttachmentTable }>();

export interface Upload {
  tenant: string;
  channel: string;
  customerId: string;
  contentType: string;
  filename: string | undefined;
  data: Buffer;
}

export async function storeAttachment(db: Db, upload: Upload): Promise<string> {
  const id = randomUUID();
  await withAttachments(db)
    .insertInto('web_attachments')
    .values({
      id,
      tenant: upload.tenant,
      channel: upload.channel,
      customer_id: upload.customerId,
      content_type: upload.contentType,
      filename: upload.filename ?? null,
      size: upload.data.length,
      data: upload.data,
    })
    .execute();
  return id;
}

/** The customer's own uploads among `ids` (others' ids are not found), without their bytes. */
export async function ownAttachments(db: Db, owner: { tenant: string; channel: string; customerId: string }, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return withAttachments(db)
    .selectFrom('web_attachments')
    .select(['id', 'content_type', 'filename', 'size'])
    .where('tenant', '=', owner.tenant)
    .where('channel', '=', owner.channel)
    .where('customer_id', '=', owner.customerId)
    .where('id', 'in', ids)
    .execute();
}

export async function loadAttachment(db: Db, where: { tenant: string; channel: string; id: string }) {
  return withAttachments(db)
    .selectFrom('web_attachments')
    .select(['content_type', 'filename', 'data'])
    .where('tenant', '=', where.tenant)
    .where('channel', '=', where.channel)
    .where('id', '=', where.id)
    .executeTakeFirst();
}

/**
 * Attachment links are capabilities: the signature binds tenant, channel and id, so the
 * agent's desktop (which holds no customer token) can open them and nobody can turn one
 * into a link to another tenant's file.
 */
export function attachmentSignature(secret: Uint8Array, where: { tenant: string; channel: string; id: string }): string {
  return createHmac('sha256', secret).update(`web-attachment/${where.tenant}/${where.channel}/${where.id}`).digest('base64url');
}

export function signatureValid(secret: Uint8Array, where: { tenant: string; channel: string; id: string }, given: string | undefined): boolean {
  return given !== undefined && given !== '' && safeEqual(given, attachmentSignature(secret, where));
}

export function attachmentPath(where: { tenant: string; channel: string; id: string }): string {
  return `/web/v1/${where.tenant}/${where.channel}/attachments/${where.id}`;
}

/** The contract Attachment for a stored upload, with its signed absolute URL. */
export function attachmentOf(
  secret: Uint8Array,
  baseUrl: string,
  where: { tenant: string; channel: string },
  row: { id: string; content_type: string; filename: string | null; size: number },
): Attachment {
  const at = { ...where, id: row.id };
  return {
    url: `${baseUrl}${attachmentPath(at)}?sig=${attachmentSignature(secret, at)}`,
    contentType: row.content_type,
    ...(row.filename !== null && { filename: row.filename }),
    size: row.size,
  };
}
