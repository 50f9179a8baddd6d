import { z } from 'zod';
import { AgentId, ParleyError, TenantName } from '../contract/index.ts';
import { Roles, signLocalToken } from '../auth/index.ts';
import type { LocalLoginView } from './desktop-views.ts';
import { describeIssues } from './route-schemas.ts';
import type { RouteSpec } from './routes.ts';

/**
 * `POST /v1/local-login`: signs a local token for whoever asks, without a password. It is
 * meant for one developer's machine: only `parley up` turns it on (GatewayOptions
 * `localLogin`), and only in local mode; every other gateway refuses it with 403, so a
 * production gateway never hands out tokens. Real deployments sign in with their issuer.
 */

const LoginInput = z.strictObject({
  tenant: TenantName,
  /** The agent id, or a staff member's name (kept to the agent id's characters). */
  sub: AgentId,
  role: z.enum(Roles),
});

export const localLoginRoute: RouteSpec = {
  method: 'POST',
  url: '/v1/local-login',
  auth: 'none',
  body: true,
  handler: async (ctx): Promise<LocalLoginView> => {
    const login = ctx.deps.localLogin;
    if (!login) throw new ParleyError('forbidden', 'the local login exists only under `parley up` in local mode; sign in with your identity provider');
    const parsed = LoginInput.safeParse(ctx.body);
    if (!parsed.success) throw new ParleyError('invalidEnvelope', describeIssues(parsed.error.issues));
    const token = await signLocalToken(login.secret, parsed.data, login.ttlSeconds);
    return { token, expiresAt: new Date(Date.now() + login.ttlSeconds * 1000).toISOString() };
  },
};
