import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { signAccessToken, type AccessTokenKey } from './access-tokens.ts';
import { authenticateOAuthClient } from './clients.ts';
import { OAuthError } from './errors.ts';
import { isOAuthScope, parseScopeParameter, type OAuthScope } from './scopes.ts';

/** RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface TokenRequest {
  /** The form parameters (`application/x-www-form-urlencoded`). */
  form: Record<string, string | undefined>;
  /** The `Authorization` header, for HTTP Basic client authentication. */
  authorization: string | undefined;
}

/**
 * The client credentials grant (RFC 6749 §4.4): authenticates the client (HTTP Basic,
 * §2.3.1, or `client_id`/`client_secret` in the form — not both), checks the requested
 * scopes against the client's, and signs a short-lived access token. Without `scope`, the
 * token carries every scope of the client.
 * @throws OAuthError with the RFC's error code.
 */
export async function issueClientToken(db: Kysely<Database>, key: AccessTokenKey, request: TokenRequest, ttlSeconds: number): Promise<TokenResponse> {
  const { form } = request;
  if (form.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  if (form.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', `only client_credentials is supported, not ${JSON.stringify(form.grant_type)}`);
  const credentials = clientCredentials(request);
  const client = await authenticateOAuthClient(db, credentials.id, credentials.secret);
  const granted = client.scopes.filter(isOAuthScope);
  const asked = parseScopeParameter(form.scope);
  const refused = asked.filter((s) => !(granted as string[]).includes(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `not granted to this client: ${refused.join(' ')}`);
  const scopes = (asked.length > 0 ? asked : granted) as OAuthScope[];
  const token = await signAccessToken(key, { clientId: client.id, tenant: client.tenant, scopes }, ttlSeconds);
  return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, scope: scopes.join(' ') };
}

function clientCredentials({ form, authorization }: TokenRequest): { id: string; secret: string } {
  const inForm = form.client_id !== undefined || form.client_secret !== undefined;
  if (authorization !== undefined) {
    // §2.3.1: a client must not use more than one authentication method per request.
    if (inForm) throw new OAuthError('invalid_request', 'client credentials both in the Authorization header and in the body');
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (!match) throw new OAuthError('invalid_client', 'the Authorization header must be HTTP Basic');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials');
    // §2.3.1: both parts are form-urlencoded before base64.
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  if (!form.client_id || !form.client_secret) throw new OAuthError('invalid_client', 'no client authentication: use HTTP Basic or client_id and client_secret');
  return { id: form.client_id, secret: form.client_secret };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials');
  }
}
