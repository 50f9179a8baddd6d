import type { Readable } from 'node:stream';
import { z } from 'zod';
import { consentState, recordOptOut, UNSUBSCRIBE_PATH, verifyUnsubscribeToken, type UnsubscribeClaims } from '../compliance/index.ts';
import { ParleyError } from '../contract/index.ts';
import { HtmlPage } from './html-page.ts';
import { HttpProblem } from './http-errors.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * RFC 8058 one-click unsubscribe, public (no login: the signed token is the credential).
 * `POST` with the body `List-Unsubscribe=One-Click` — what a mail client sends, and what
 * the confirmation page's button submits — opts the address out of the whole tenant,
 * exactly as an SMS STOP does. `GET` only shows that page: mail clients and link scanners
 * fetch links on their own, and a fetch must never unsubscribe anyone.
 */

const TokenParams = z.object({ token: z.string().min(3).max(2048) });
/** A one-click body is 26 bytes; a form post with it, a little more. Anything past this is not one. */
const MAX_BODY_BYTES = 4096;

function claimsOf(ctx: RouteContext): UnsubscribeClaims {
  const key = ctx.deps.unsubscribeKey;
  if (!key) throw new ParleyError('unavailable', 'this gateway issues no unsubscribe links (no unsubscribe secret)');
  const claims = verifyUnsubscribeToken(key, ctx.params.token ?? '');
  if (!claims) throw new HttpProblem('invalidUnsubscribeLink');
  return claims;
}

async function readSmall(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem('payloadTooLarge', `an unsubscribe request body is at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `ann@example.com` → `a••@example.com`: the page confirms whose address without spelling it out to whoever holds the link. */
function masked(address: string): string {
  const at = address.indexOf('@');
  return at > 0 ? `${address[0]}••@${address.slice(at + 1)}` : `••${address.slice(-4)}`;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): HtmlPage {
  return new HtmlPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.25rem}</style>
</head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

export const unsubscribeRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: `${UNSUBSCRIBE_PATH}/:token`,
    auth: 'none',
    params: TokenParams,
    handler(ctx) {
      const claims = claimsOf(ctx);
      return Promise.resolve(
        page(
          'Unsubscribe',
          `<p>Stop e-mails to <strong>${escape(masked(claims.address))}</strong>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
        ),
      );
    },
  },
  {
    method: 'POST',
    url: `${UNSUBSCRIBE_PATH}/:token`,
    auth: 'none',
    params: TokenParams,
    body: 'stream',
    async handler(ctx) {
      const claims = claimsOf(ctx);
      const form = new URLSearchParams(await readSmall(ctx.upload!));
      if (form.get('List-Unsubscribe') !== 'One-Click') {
        throw new ParleyError('invalidEnvelope', 'the body must be List-Unsubscribe=One-Click (RFC 8058)');
      }
      // Mail clients retry: one ledger event per opt-out, not one per request.
      if ((await consentState(ctx.deps.db, claims.tenant, claims.address)) !== 'opted-out') {
        await recordOptOut(ctx.deps.db, { tenant: claims.tenant, address: claims.address, method: 'unsubscribe', channelKind: 'email', source: `campaign ${claims.campaign}` });
      }
      return page('Unsubscribed', `<p><strong>${escape(masked(claims.address))}</strong> will receive no more messages from us.</p>`);
    },
  },
];
