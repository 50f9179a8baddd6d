import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { readAuthSettings } from './auth-settings.ts';
import { signLocalToken } from './local-tokens.ts';
import { createTokenVerifier, hs256Verifier } from './token-verifier.ts';

/** Local mode (`parley up`): HS256 with jose. Every case of the hand-written verifier's tests, and more. */

const secret = 'test-secret-that-is-long-enough-for-hs256';
const claims = { sub: 'alice', tenant: 'acme', role: 'agent' } as const;
const verifier = createTokenVerifier(readAuthSettings({ PARLEY_AUTH_SECRET: secret }));

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function forge(head: unknown, payload: unknown, key: string | Buffer = secret, algorithm = 'sha256'): string {
  const body = `${b64(head)}.${b64(payload)}`;
  return `${body}.${createHmac(algorithm, key).update(body).digest('base64url')}`;
}

async function expectUnauthorized(token: string, detail: RegExp, by = verifier): Promise<void> {
  const err: unknown = await by.verify(token).then(
    () => expect.fail('expected verify to throw'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParleyError);
  expect((err as ParleyError).code).toBe('unauthorized');
  expect((err as ParleyError).message).toMatch(detail);
}

describe('local mode (HS256 with jose)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('round-trips the claims with an 8-hour default lifetime', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const verified = await verifier.verify(await signLocalToken(secret, claims));
    const now = Date.parse('2026-11-22T10:00:00Z') / 1000;
    expect(verified).toEqual({ ...claims, iat: now, exp: now + 8 * 3600 });
  });

  it('produces a standard HS256 JWT', async () => {
    const [head] = (await signLocalToken(secret, claims)).split('.');
    expect(JSON.parse(Buffer.from(head!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('uses the secret\'s UTF-8 bytes as the key, not its base64 decoding', async () => {
    const base64ish = 'c2VjcmV0LXRoYXQtbG9va3MtbGlrZS1iYXNlNjQ=';
    const payload = { ...claims, iat: 0, exp: 9_999_999_999 };
    const utf8 = forge({ alg: 'HS256' }, payload, Buffer.from(base64ish, 'utf8'));
    await expect(hs256Verifier(base64ish).verify(utf8)).resolves.toMatchObject(claims);
    await expectUnauthorized(forge({ alg: 'HS256' }, payload, Buffer.from(base64ish, 'base64')), /signature/, hs256Verifier(base64ish));
  });

  it('rejects a token signed with another secret', async () => {
    await expectUnauthorized(await signLocalToken('another-secret', claims), /signature/);
  });

  it('rejects a tampered payload', async () => {
    const [head, , sig] = (await signLocalToken(secret, claims)).split('.');
    const elevated = b64({ ...claims, role: 'admin', iat: 0, exp: 9_999_999_999 });
    await expectUnauthorized(`${head}.${elevated}.${sig}`, /signature/);
  });

  it('rejects a truncated signature', async () => {
    const token = await signLocalToken(secret, claims);
    await expectUnauthorized(token.slice(0, -4), /signature/);
  });

  it('rejects an expired token, once past the clock tolerance (30 s)', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const token = await signLocalToken(secret, claims, 60);
    vi.setSystemTime(new Date('2026-11-22T10:01:29Z'));
    await expect(verifier.verify(token)).resolves.toMatchObject(claims);
    vi.setSystemTime(new Date('2026-11-22T10:01:30Z'));
    await expectUnauthorized(token, /expired/);
  });

  it('hs256Verifier(secret) expires a token exactly at exp, unless given a tolerance', async () => {
    const expired = await signLocalToken(secret, claims, -1);
    await expectUnauthorized(expired, /expired/, hs256Verifier(secret));
    await expect(hs256Verifier(secret, 30).verify(expired)).resolves.toMatchObject(claims);
  });

  it('rejects a token that is not valid yet (nbf beyond the tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...claims, iat: now, exp: now + 3600 };
    await expect(verifier.verify(forge({ alg: 'HS256' }, { ...payload, nbf: now + 20 }))).resolves.toMatchObject(claims);
    await expectUnauthorized(forge({ alg: 'HS256' }, { ...payload, nbf: now + 120 }), /not yet valid/);
  });

  it('rejects other algorithms, including none', async () => {
    const payload = { ...claims, iat: 0, exp: 9_999_999_999 };
    await expectUnauthorized(forge({ alg: 'HS512', typ: 'JWT' }, payload, secret, 'sha512'), /algorithm "HS512"/);
    await expectUnauthorized(`${b64({ alg: 'none' })}.${b64(payload)}.`, /algorithm "none"/);
    await expectUnauthorized(`${b64({ alg: 'RS256' })}.${b64(payload)}.c2ln`, /algorithm "RS256"/);
  });

  it('rejects malformed tokens', async () => {
    for (const token of ['', 'a.b', 'a.b.c.d', 'not a token', '!!!.???.***']) await expectUnauthorized(token, /malformed/);
    await expectUnauthorized('bm90IGpzb24.e30.c2ln', /malformed/);
  });

  it('rejects well-signed tokens with invalid claims', async () => {
    const base = { ...claims, iat: 0, exp: 9_999_999_999 };
    const head = { alg: 'HS256', typ: 'JWT' };
    await expectUnauthorized(forge(head, { ...base, role: 'root' }), /claims: no Parley role in claim "role"/);
    // A tenant is used inside NATS subjects: a wildcard must never get through.
    await expectUnauthorized(forge(head, { ...base, tenant: 'acme.>' }), /claims: "tenant": must be a DNS label/);
    await expectUnauthorized(forge(head, { ...base, exp: undefined }), /claims: "exp" is missing/);
    await expectUnauthorized(forge(head, { ...base, iat: undefined }), /claims: "iat" is missing/);
    await expectUnauthorized(forge(head, { ...base, sub: '' }), /claims: "sub"/);
  });

  it('refuses an empty secret', async () => {
    await expect(signLocalToken('', claims)).rejects.toThrow(RangeError);
    expect(() => hs256Verifier('')).toThrow(RangeError);
  });

  it('checks iss and aud when configured, and signLocalToken can set them', async () => {
    const strict = createTokenVerifier(
      readAuthSettings({ PARLEY_AUTH_SECRET: secret, PARLEY_AUTH_ISSUER: 'parley-up', PARLEY_AUTH_AUDIENCE: 'parley' }),
    );
    await expect(strict.verify(await signLocalToken(secret, claims, 60, { issuer: 'parley-up', audience: 'parley' }))).resolves.toMatchObject(claims);
    await expectUnauthorized(await signLocalToken(secret, claims, 60, { issuer: 'parley-up', audience: 'other' }), /audience/, strict);
    await expectUnauthorized(await signLocalToken(secret, claims, 60, { issuer: 'elsewhere', audience: 'parley' }), /issuer/, strict);
    await expectUnauthorized(await signLocalToken(secret, claims, 60), /"iss" is missing/, strict);
  });

  it('needs a secret in local mode', () => {
    expect(() => createTokenVerifier(readAuthSettings({}))).toThrow(/PARLEY_AUTH_SECRET/);
  });
});
