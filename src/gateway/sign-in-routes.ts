import type { Claims } from '../auth/index.ts';
import type { SignInView } from './desktop-views.ts';
import type { RouteSpec } from './routes.ts';
import { WEB_APP_PREFIX } from './web-app.ts';

/**
 * How the web app signs in, asked before anyone is signed in: `GET /v1/auth/sign-in`
 * names the issuer and the app's public client (nothing secret: a public client has no
 * secret, and all of it is in the issuer's authorization URL anyway). The redirect URI is
 * the app's own URL, `<gateway>/app/`, which is what operators register at the issuer.
 */
export const signInSettingsRoute: RouteSpec = {
  method: 'GET',
  url: '/v1/auth/sign-in',
  auth: 'none',
  handler: (ctx): Promise<SignInView> => {
    const oidc = ctx.deps.signIn;
    return Promise.resolve({
      localLogin: ctx.deps.localLogin !== undefined,
      oidc: oidc === undefined ? null : { issuer: oidc.issuer, clientId: oidc.clientId, scopes: [...oidc.scopes], redirectPath: WEB_APP_PREFIX },
    });
  },
};

/**
 * `GET /v1/auth/me`: the caller as the gateway reads its token, with the configured claim
 * names and role map. The app learns its agent id, tenant and role from here, because an
 * issuer's tokens need not carry Parley's claim names. Only the caller's own claims: no
 * tenant or role can see more through it.
 */
export const meRoute: RouteSpec = {
  method: 'GET',
  url: '/v1/auth/me',
  auth: 'bearer',
  handler: (ctx): Promise<Claims> => {
    const { sub, tenant, role, exp, iat } = ctx.claims;
    return Promise.resolve({ sub, tenant, role, exp, iat });
  },
};
