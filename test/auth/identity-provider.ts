import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/** A signing key of the test identity provider, with its public half as a JWK. */
export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export async function signingKey(kid: string, alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

/**
 * Signs a JWT as an identity provider would: `iat` now, `exp` in an hour unless the
 * payload says otherwise, and the key's `kid` in the header unless `header` overrides it.
 */
export async function signWith(key: SigningKey, payload: JWTPayload, header: { kid?: string | undefined } = { kid: key.kid }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 3600, ...payload })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(header.kid === undefined ? {} : { kid: header.kid }) })
    .sign(key.privateKey);
}

/**
 * A local OpenID Connect issuer over real HTTP (port 0), Keycloak-shaped:
 * `<issuer>/.well-known/openid-configuration` → `jwks_uri` `<issuer>/protocol/openid-connect/certs`.
 * Tests change its published keys to rotate them and count the requests it serves.
 */
export interface IdentityProvider {
  issuer: string;
  jwksUrl: string;
  /** The keys the JWKS publishes; replace to rotate. */
  published: SigningKey[];
  /** While set, every request answers this status, or never answers (`hang`). */
  failWith: number | 'hang' | undefined;
  /** The issuer the discovery document names (the real one unless a test lies). */
  advertisedIssuer: string;
  readonly requests: { discovery: number; jwks: number };
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', idp.issuer).pathname;
    const answer = (status: number, body: unknown): void => {
      if (idp.failWith === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === `${issuerPath}/.well-known/openid-configuration`) {
      requests.discovery += 1;
      if (idp.failWith !== undefined) return answer(idp.failWith === 'hang' ? 0 : idp.failWith, { error: 'down' });
      return answer(200, { issuer: idp.advertisedIssuer, jwks_uri: idp.jwksUrl, id_token_signing_alg_values_supported: ['RS256', 'ES256'] });
    }
    if (path === `${issuerPath}/protocol/openid-connect/certs`) {
      requests.jwks += 1;
      if (idp.failWith !== undefined) return answer(idp.failWith === 'hang' ? 0 : idp.failWith, { error: 'down' });
      return answer(200, { keys: idp.published.map((k) => k.publicJwk) });
    }
    answer(404, { error: 'not found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuerPath = '/realms/parley';
  const issuer = `http://127.0.0.1:${port}${issuerPath}`;
  const requests = { discovery: 0, jwks: 0 };
  const idp: IdentityProvider = {
    issuer,
    jwksUrl: `${issuer}/protocol/openid-connect/certs`,
    published: [],
    failWith: undefined,
    advertisedIssuer: issuer,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return idp;
}
