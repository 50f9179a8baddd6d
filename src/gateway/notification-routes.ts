import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z, ZodError } from 'zod';
import { ParleyError } from '../contract/index.ts';
import type { TokenVerifier } from '../auth/index.ts';
import {
  CATEGORY_PATTERN,
  IdempotencyConflictError,
  listCategories,
  NotificationRequestError,
  setCategory,
  TemplateError,
} from '../notifications/index.ts';
import type { NotificationSender } from '../notifications/index.ts';
import type { Database } from '../store/index.ts';
import { HttpProblem } from './http-errors.ts';
import { identifyIntegrationCaller, integrationRateLimitKey, requireIntegrationAccess } from './integration-caller.ts';
import type { ResolvedIntegrations } from './integration-options.ts';
import { describeIssues } from './route-schemas.ts';

export interface NotificationRouteDeps {
  db: Kysely<Database>;
  verifier: TokenVerifier;
  integrations: ResolvedIntegrations;
  sender: NotificationSender;
}

/** The paths this plugin serves, for the docs test. */
export const notificationRoutePaths = [
  'POST /v1/notifications',
  'GET /v1/notifications/:id',
  'GET /v1/notification-categories',
  'PUT /v1/notification-categories/:name',
] as const;

// RFC 9110 token characters, as the IETF Idempotency-Key draft allows; long enough for a UUID or a hash.
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'the Idempotency-Key header is 1 to 255 visible ASCII characters');

/**
 * Agentless notifications, for OAuth clients (`notifications:send`, `notifications:read`);
 * supervisors and admins may read notifications and manage which categories are
 * transactional. Every query is filtered by the caller's tenant.
 */
export function notificationRoutes(app: FastifyInstance, deps: NotificationRouteDeps, done: (err?: Error) => void): void {
  const { db, sender } = deps;
  app.addHook('onRequest', identifyIntegrationCaller(deps.verifier, deps.integrations, db));
  // The gateway's own hook does not identify callers here (`auth: 'none'`): this plugin's does, above.
  const config = { auth: 'none' as const, rateLimit: { keyGenerator: integrationRateLimitKey } };

  app.post('/v1/notifications', { config }, async (request, reply) => {
    const caller = requireIntegrationAccess(request, ['notifications:send'], false);
    const header = request.headers['idempotency-key'];
    const key = header === undefined ? undefined : IdempotencyKey.safeParse(header);
    if (key && !key.success) throw new ParleyError('invalidEnvelope', describeIssues(key.error.issues));
    try {
      const result = await sender.send({ tenant: caller.tenant, clientId: caller.clientId! }, request.body ?? {}, key?.data);
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      void reply.code(result.replayed ? 200 : 201);
      return result.notification;
    } catch (err) {
      if (err instanceof ZodError) throw new ParleyError('invalidEnvelope', describeIssues(err.issues));
      if (err instanceof NotificationRequestError || err instanceof TemplateError) throw new HttpProblem('notificationRefused', err.message);
      if (err instanceof IdempotencyConflictError) throw new HttpProblem('idempotencyKeyReused', err.message);
      throw err;
    }
  });

  app.get('/v1/notifications/:id', { config }, async (request) => {
    const caller = requireIntegrationAccess(request, ['notifications:read', 'notifications:send'], true);
    const found = await sender.get(caller.tenant, (request.params as { id: string }).id);
    if (!found) throw new HttpProblem('unknownNotification');
    return found;
  });

  app.get('/v1/notification-categories', { config }, async (request) => {
    const caller = requireIntegrationAccess(request, ['notifications:read', 'notifications:send'], true);
    return { categories: await listCategories(db, caller.tenant) };
  });

  app.put('/v1/notification-categories/:name', { config }, async (request) => {
    const who = request.integration;
    // Only a person decides what bypasses opt-outs: never a client for itself.
    if (who?.kind !== 'user' || who.claims.role !== 'admin') throw new ParleyError('forbidden', 'admin role required');
    const name = (request.params as { name: string }).name;
    if (!CATEGORY_PATTERN.test(name)) throw new ParleyError('invalidEnvelope', 'name: a category is 1–64 lowercase letters, digits, ".", "_" or "-"');
    const body = z.strictObject({ transactional: z.boolean() }).safeParse(request.body);
    if (!body.success) throw new ParleyError('invalidEnvelope', 'the body is { "transactional": boolean }');
    return setCategory(db, who.claims.tenant, name, body.data.transactional, who.claims.sub);
  });
  done();
}
