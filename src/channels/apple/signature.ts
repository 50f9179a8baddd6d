import { errors, jwtVerify } from 'jose';
import { createHmac } from 'node:crypto';
import type { Verification, WebhookRequest } from '../provider.ts';
import { header } from '../signature.ts';
import type { ResolvedAppleOptions } from './options.ts';

/**
 * Apple signs each request to the MSP with `Authorization: Bearer <JWT>`, HS256 with the
 * MSP secret, `aud` = the MSP id; and names the business in `destination-id`
 * (register.apple.com/resources/messages/msp-rest-api).
 */
export async function verifyAppleRequest(request: WebhookRequest, options: ResolvedAppleOptions): Promise<Verification> {
  const token = /^Bearer\s+(\S+)$/i.exec(header(request.headers, 'authorization') ?? '')?.[1];
  if (!token) return { ok: false, reason: 'missing authorization bearer token' };
  if (header(request.headers, 'destination-id') !== options.businessId) return { ok: false, reason: "destination-id is not this channel's business" };
  try {
    await jwtVerify(token, options.key, { audience: options.mspId, algorithms: ['HS256'] });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JOSEError ? `authorization token refused: ${err.code}` : 'authorization token refused' };
  }
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * Our token for Apple's gateway: HS256, `iss` = MSP id, `iat` = now. Signed here in a few
 * lines rather than with jose because request planning is synchronous and pure (jose
 * signs asynchronously); verification of Apple's tokens above does use jose.
 */
export function appleBearer(options: ResolvedAppleOptions, now: Date): string {
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ iss: options.mspId, iat: Math.floor(now.getTime() / 1000) }))}`;
  return `${signingInput}.${createHmac('sha256', options.key).update(signingInput).digest('base64url')}`;
}
