import { createHmac } from 'node:crypto';
import type { GatewayOptions } from '../gateway/index.ts';
import type { Settings } from './settings.ts';

/**
 * The gateway's links to files agents upload: signed with PARLEY_WEB_SECRET (the key of
 * attachment links, shared with the channels role), else in local mode with a key derived
 * from the local secret; pointing at PARLEY_PUBLIC_URL, else at the URL the upload came to.
 * Undefined without a key: uploads answer 503.
 */
export function agentAttachmentOptions(settings: Settings, localSecret: string | undefined): GatewayOptions['attachments'] {
  const secret = settings.webSecret ?? (localSecret === undefined ? undefined : createHmac('sha256', localSecret).update('parley agent attachment links').digest());
  if (secret === undefined) return undefined;
  return { secret, ...(settings.publicUrl !== undefined && { publicUrl: settings.publicUrl }) };
}
