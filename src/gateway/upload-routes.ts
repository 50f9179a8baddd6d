import type { Readable } from 'node:stream';
import { z } from 'zod';
import { attachmentLimitsOf, type AttachmentLimits } from '../channels/index.ts';
import { ParleyError } from '../contract/index.ts';
import { forbidden } from './access.ts';
import { attachmentLink, linkSigned, loadAgentAttachment, storeAgentAttachment } from './agent-attachments.ts';
import { FileDownload } from './download.ts';
import { HttpProblem } from './http-errors.ts';
import { findConversation } from './queries.ts';
import { ConversationParams } from './route-schemas.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Files agents send from the desktop: uploaded as the raw request body (the file's own
 * Content-Type, its name in `?filename=`), held to the channel's limits, stored, and
 * answered as the contract's `Attachment` whose signed, expiring URL the provider fetches.
 */

const UploadQuery = z.object({ filename: z.string().max(1024).optional() });
const LinkParams = z.object({ attachmentId: z.uuid({ error: 'the attachmentId must be a UUID' }) });
const LinkQuery = z.object({ expires: z.coerce.number().int(), sig: z.string().max(128) });

export const uploadRoutes: RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/conversations/:id/attachments',
    auth: 'bearer',
    params: ConversationParams,
    query: UploadQuery,
    body: 'stream',
    status: 201,
    handler: async (ctx) => {
      const links = ctx.deps.attachmentLinks;
      if (!links) throw new ParleyError('unavailable', 'this gateway signs no attachment links (PARLEY_WEB_SECRET is unset)');
      const { tenant, sub } = ctx.claims;
      const conversationId = ctx.params.id as string;
      const conversation = await findConversation(ctx.deps.db, tenant, conversationId);
      if (!conversation) throw new ParleyError('unknownConversation');
      // As for a reply: only the agent the conversation is assigned to sends in it, whatever the role.
      if (conversation.agentId !== sub) throw forbidden('only the agent assigned to the conversation sends files in it');
      const limits = limitsOf(ctx, conversation.channel);
      const contentType = mediaTypeOf(ctx.request.headers['content-type']);
      if (!limits.types.includes(contentType)) {
        throw new HttpProblem('unsupportedMediaType', `${contentType || 'no content type'} cannot be sent on this channel; it takes ${limits.types.join(', ')}`);
      }
      const declared = Number(ctx.request.headers['content-length']);
      if (declared > limits.maxBytes) throw tooLarge(limits);
      const data = await readAtMost(ctx.upload!, limits);
      if (data.length === 0) throw new ParleyError('invalidEnvelope', 'the upload is empty');
      const filename = cleanFilename((ctx.query as z.infer<typeof UploadQuery>).filename);
      const id = await storeAgentAttachment(ctx.deps.db, { tenant, conversationId, agentId: sub, contentType, filename, data });
      const baseUrl = links.publicUrl ?? `${ctx.request.protocol}://${ctx.request.host}`;
      return attachmentLink(links, baseUrl, { id, contentType, filename, size: data.length });
    },
  },
  {
    method: 'GET',
    url: '/v1/attachments/:attachmentId',
    // Providers fetch it: the signature is the credential (agent-attachments.ts).
    auth: 'none',
    params: LinkParams,
    query: LinkQuery,
    handler: async (ctx) => {
      const links = ctx.deps.attachmentLinks;
      const id = ctx.params.attachmentId as string;
      const { expires, sig } = ctx.query as z.infer<typeof LinkQuery>;
      // A forged signature reads like a missing file; only a genuine link is told it expired.
      if (!links || !linkSigned(links.key, id, expires, sig)) throw new HttpProblem('unknownAttachment');
      const remaining = expires - Math.floor(Date.now() / 1000);
      if (remaining <= 0) throw new HttpProblem('attachmentLinkExpired');
      const row = await loadAgentAttachment(ctx.deps.db, id);
      if (!row) throw new HttpProblem('unknownAttachment');
      const filename = (row.filename ?? 'attachment').replace(/[^\w.-]/g, '_');
      return new FileDownload(filename, row.content_type, row.data, { inline: row.content_type.startsWith('image/'), cacheControl: `private, max-age=${Math.min(remaining, 86_400)}` });
    },
  },
];

/** The channel's limits; the conversation's channel must still be configured to know them. */
function limitsOf(ctx: RouteContext, channel: string): AttachmentLimits {
  const config = ctx.deps.config;
  if (!config) throw new ParleyError('unavailable', 'this gateway was started without the configuration');
  const found = config.channel(ctx.claims.tenant, channel);
  if (!found) throw new ParleyError('unknownChannel', `the conversation's channel ${channel} is no longer configured`);
  return attachmentLimitsOf(found.type);
}

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function tooLarge(limits: AttachmentLimits): HttpProblem {
  return new HttpProblem('payloadTooLarge', `the channel takes files up to ${limits.maxBytes} bytes`);
}

/** The body, refused as soon as it passes the limit (what is left is drained, never held). */
async function readAtMost(stream: Readable, limits: AttachmentLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limits.maxBytes) throw tooLarge(limits);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** Only the last path segment, without control characters, at most 255 characters. */
function cleanFilename(name: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const clean = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || undefined;
}
