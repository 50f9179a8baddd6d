/** What an OAuth client may do, as granted by the admin who created it. */
export const OAuthScopes = ['notifications:send', 'notifications:read'] as const;
export type OAuthScope = (typeof OAuthScopes)[number];

export function isOAuthScope(value: string): value is OAuthScope {
  return (OAuthScopes as readonly string[]).includes(value);
}

/** A `scope` parameter (RFC 6749 §3.3: space-delimited, order does not matter) as a set of names. */
export function parseScopeParameter(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter((s) => s !== ''))];
}
