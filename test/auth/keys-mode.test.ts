import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSettingsError, createTokenVerifier, readAuthSettings } from '../../src/auth/index.ts';
import type { TokenVerifier } from '../../src/auth/index.ts';
import { ParleyError } from '../../src/contract/index.ts';
import { signingKey, signWith } from './identity-provider.ts';
import type { SigningKey } from './identity-provider.ts';

/** Keys mode: public keys from PEM and JWK set files, each with a kid, several at once for a rotation. */

let dir: string;
let old: SigningKey;
let current: SigningKey;
let ec: SigningKey;
const claims = { sub: 'alice', tenant: 'acme', role: 'agent' };

function write(name: string, content: string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function verifierFor(keys: string, env: Record<string, string> = {}): TokenVerifier {
  return createTokenVerifier(readAuthSettings({ PARLEY_AUTH_MODE: 'keys', PARLEY_AUTH_KEYS: keys, ...env }));
}

async function expectUnauthorized(verifier: TokenVerifier, token: string, detail: RegExp): Promise<void> {
  const err: unknown = await verifier.verify(token).then(
    () => expect.fail('expected the token to be refused'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParleyError);
  expect((err as ParleyError).code).toBe('unauthorized');
  expect((err as ParleyError).message).toMatch(detail);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-keys-'));
  [old, current, ec] = await Promise.all([signingKey('2026-06'), signingKey('2026-12'), signingKey('ec-1', 'ES256')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('keys mode', () => {
  it('accepts tokens of every configured key by kid: PEM files (kid = file name) and a JWK set', async () => {
    const verifier = verifierFor(`${write('2026-06.pem', old.publicPem)},${write('2026-12.pem', current.publicPem)},${write('more.json', JSON.stringify({ keys: [ec.publicJwk] }))}`);
    for (const key of [old, current, ec]) await expect(verifier.verify(await signWith(key, claims))).resolves.toMatchObject(claims);
  });

  it('reads a folder (a mounted Kubernetes Secret), skipping hidden entries', async () => {
    const folder = join(dir, 'secret');
    mkdirSync(join(folder, '..2026_12_04'), { recursive: true });
    writeFileSync(join(folder, '..2026_12_04', 'junk.pem'), 'not a key');
    symlinkSync('..2026_12_04', join(folder, '..data'));
    writeFileSync(join(folder, '2026-12.pem'), current.publicPem);
    writeFileSync(join(folder, 'ec.json'), JSON.stringify(ec.publicJwk));
    writeFileSync(join(folder, 'README'), 'not a key either');
    const verifier = verifierFor(folder);
    await expect(verifier.verify(await signWith(current, claims))).resolves.toMatchObject(claims);
    await expect(verifier.verify(await signWith(ec, claims))).resolves.toMatchObject(claims);
  });

  it('rotates: with the old key removed, its tokens are refused as an unknown kid', async () => {
    const during = verifierFor(`${write('a/2026-06.pem', old.publicPem)},${write('a/2026-12.pem', current.publicPem)}`);
    const oldToken = await signWith(old, claims);
    await expect(during.verify(oldToken)).resolves.toMatchObject(claims);
    const after = verifierFor(write('a/2026-12.pem', current.publicPem));
    await expectUnauthorized(after, oldToken, /unknown signing key \(kid "2026-06"\)/);
    await expect(after.verify(await signWith(current, claims))).resolves.toMatchObject(claims);
  });

  it('refuses a token without kid, a forged signature, alg none and HS256 keyed with the public key', async () => {
    const pem = write('2026-12.pem', current.publicPem);
    const verifier = verifierFor(pem);
    await expectUnauthorized(verifier, await signWith(current, claims, { kid: undefined }), /names no signing key \(kid\)/);
    await expectUnauthorized(verifier, await signWith(old, claims, { kid: '2026-12' }), /bad signature/);
    const [, payload] = (await signWith(current, claims)).split('.');
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    await expectUnauthorized(verifier, `${b64({ alg: 'none', kid: '2026-12' })}.${payload}.`, /algorithm "none"/);
    const body = `${b64({ alg: 'HS256', kid: '2026-12' })}.${payload}`;
    await expectUnauthorized(verifier, `${body}.${createHmac('sha256', current.publicPem).update(body).digest('base64url')}`, /algorithm "HS256"/);
  });

  it('checks iss, aud and exp when configured', async () => {
    const verifier = verifierFor(write('2026-12.pem', current.publicPem), { PARLEY_AUTH_ISSUER: 'https://sso.example', PARLEY_AUTH_AUDIENCE: 'parley,parley-staging' });
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await signWith(current, { ...claims, iss: 'https://sso.example', aud: 'parley-staging' }))).resolves.toMatchObject(claims);
    await expectUnauthorized(verifier, await signWith(current, { ...claims, iss: 'https://sso.example', aud: 'other' }), /audience/);
    await expectUnauthorized(verifier, await signWith(current, { ...claims, iss: 'https://other.example', aud: 'parley' }), /issuer/);
    await expectUnauthorized(verifier, await signWith(current, { ...claims, iss: 'https://sso.example', aud: 'parley', exp: now - 31 }), /expired/);
  });

  it('refuses unusable key files at start, naming the file', async () => {
    const fails = (keys: string, message: RegExp): void => {
      expect(() => verifierFor(keys)).toThrow(AuthSettingsError);
      expect(() => verifierFor(keys)).toThrow(message);
    };
    fails(write('private.pem', await exportPKCS8(current.privateKey)), /private\.pem is a private key/);
    fails(write('secret.json', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0', kid: 's' })), /secret\.json is a symmetric key/);
    fails(write('nokid.json', JSON.stringify({ keys: [{ ...current.publicJwk, kid: undefined }] })), /nokid\.json has no "kid"/);
    fails(write('garbage.pem', 'hello'), /garbage\.pem is not a PEM public key/);
    fails(write('garbage.json', '{'), /garbage\.json is not JSON/);
    fails(join(dir, 'missing.pem'), /cannot read .*missing\.pem/);
    fails(`${write('2026-12.pem', current.publicPem)},${write('dup.json', JSON.stringify(current.publicJwk))}`, /kid "2026-12" is in both/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    fails(write('weak.pem', weak), /weak\.pem \(kid "weak"\) is an RSA key shorter than 2048 bits/);
    mkdirSync(join(dir, 'empty'), { recursive: true });
    fails(join(dir, 'empty'), /holds no \.pem or \.json key/);
  });
});
