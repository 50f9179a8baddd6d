import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ParleyError } from '../contract/index.ts';
import {
  createOAuthClient,
  issueClientToken,
  listOAuthClients,
  OAuthClientInputError,
  OAuthError,
  revokeOAuthClient,
} from '../oauth/index.ts';
import type { Database } from '../store/index.ts';
import { isStaff } from './access.ts';
import { claimsOf } from './caller.ts';
import { HttpProblem } from './http-errors.ts';
import type { ResolvedIntegrations } from './integration-options.ts';

export interface OAuthRouteDeps {
  db: Kysely<Database>;
  integrations: ResolvedIntegrations;
}

/** The paths this plugin serves, for the docs test. */
export const oauthRoutePaths = ['POST /oauth/token', 'GET /v1/oauth/clients', 'POST /v1/oauth/clients', 'POST /v1/oauth/clients/:clientId/revoke'] as const;

const ClientParams = z.object({ clientId: z.string().regex(/^pc_[0-9a-f]{24}$/, 'not a client id') });

/**
 * OAuth 2.0 client credentials: the token endpoint (RFC 6749 §4.4, form-encoded, its
 * errors in the RFC's JSON shape) and the tenant's client administration for supervisors
 * and admins (secrets shown once, at creation).
 */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthRouteDeps): Promise<void> {
  const { db, integrations } = deps;

  await app.register((token, _options, registered) => {
    // RFC 6749 §4.4.2: the request is `application/x-www-form-urlencoded`; nothing else is read.
    token.removeAllContentTypeParsers();
    token.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      const params = new URLSearchParams(body as string);
      const form: Record<string, string> = {};
      for (const [name, value] of params) {
        // §3.2: a parameter sent twice is an invalid request, not "the last one wins".
        if (Object.hasOwn(form, name)) return done(new OAuthError('invalid_request', `${name} is repeated`), undefined);
        form[name] = value;
      }
      done(null, form);
    });
    token.setErrorHandler((err, _request, reply) => answerOAuthError(err, reply));
    token.post('/oauth/token', { config: { auth: 'none' } }, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const answer = await issueClientToken(db, integrations.key, { form, authorization: request.headers.authorization }, integrations.tokenTtlSeconds);
      // §5.1: Cache-Control: no-store (set on every answer) and Pragma: no-cache.
      void reply.header('pragma', 'no-cache');
      return answer;
    });
    registered();
  });

  app.get('/v1/oauth/clients', { config: { auth: 'bearer' } }, async (request) => ({ clients: await listOAuthClients(db, staffTenant(request)) }));

  app.post('/v1/oauth/clients', { config: { auth: 'bearer' } }, async (request, reply) => {
    const tenant = staffTenant(request);
    const body = z.strictObject({ name: z.string(), scopes: z.array(z.string()).max(10) }).safeParse(request.body);
    if (!body.success) throw new ParleyError('invalidEnvelope', 'the body is { "name": string, "scopes": string[] }');
    try {
      const created = await createOAuthClient(db, { tenant, name: body.data.name, scopes: body.data.scopes, createdBy: claimsOf(request).sub });
      void reply.code(201);
      return { ...created.client, clientSecret: created.clientSecret, callbackSigningSecret: created.callbackSigningSecret };
    } catch (err) {
      if (err instanceof OAuthClientInputError) throw new ParleyError('invalidEnvelope', err.message);
      throw err;
    }
  });

  app.post('/v1/oauth/clients/:clientId/revoke', { config: { auth: 'bearer' } }, async (request) => {
    const tenant = staffTenant(request);
    const params = ClientParams.safeParse(request.params);
    // Another tenant's client reads exactly like one that does not exist.
    const revoked = params.success ? await revokeOAuthClient(db, tenant, params.data.clientId, claimsOf(request).sub) : undefined;
    if (!revoked) throw new HttpProblem('unknownOAuthClient');
    return revoked;
  });
}

function staffTenant(request: FastifyRequest): string {
  const claims = claimsOf(request);
  if (!isStaff(claims)) throw new ParleyError('forbidden', 'supervisor or admin role required');
  return claims.tenant;
}

function answerOAuthError(err: unknown, reply: FastifyReply): FastifyReply {
  let oauth: OAuthError;
  if (err instanceof OAuthError) oauth = err;
  else if ((err as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') oauth = new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  else if ((err as { statusCode?: number }).statusCode === 413) oauth = new OAuthError('invalid_request', 'the body is too large');
  else throw err;
  if (oauth.code === 'invalid_client') void reply.header('www-authenticate', 'Basic realm="parley"');
  return reply.code(oauth.status).type('application/json; charset=utf-8').send(JSON.stringify(oauth.toJSON()));
}
