/** The identity provider could not be reached or answered nonsense: not the caller's fault, and worth a retry. */
export class KeySourceError extends Error {
  override readonly name = 'KeySourceError';
}

/**
 * Finds the issuer's JWKS through OpenID Connect discovery:
 * `<issuer>/.well-known/openid-configuration` → `jwks_uri`.
 * @throws KeySourceError when the document cannot be fetched, is not JSON, names another
 *   issuer (OpenID Connect Discovery §4.3: it must be exactly the configured one) or has no `jwks_uri`.
 */
export async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<URL> {
  const where = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetch(where, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new KeySourceError(`${where} answered ${response.status}`);
    document = await response.json();
  } catch (err) {
    if (err instanceof KeySourceError) throw err;
    throw new KeySourceError(`OpenID Connect discovery failed: ${where}: ${(err as Error).message}`, { cause: err });
  }
  const { issuer: named, jwks_uri: jwksUri } = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>;
  if (named !== issuer) throw new KeySourceError(`${where} names issuer ${JSON.stringify(named)}, not ${issuer}`);
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new KeySourceError(`${where} has no valid jwks_uri`);
  return new URL(jwksUri);
}
