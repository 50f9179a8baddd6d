import { describe, expect, it } from 'vitest';
import { signUnsubscribeToken, unsubscribeKey, unsubscribeLinks, verifyUnsubscribeToken } from './unsubscribe-link.ts';

const key = unsubscribeKey('unsubscribe-secret-0123456789');
const claims = { tenant: 'acme', address: 'ann@example.com', campaign: 'spring' };

describe('unsubscribe links', () => {
  it('a signed token verifies to its claims', () => {
    expect(verifyUnsubscribeToken(key, signUnsubscribeToken(key, claims))).toEqual(claims);
  });

  it('a token signed with another secret, altered, or malformed does not verify', () => {
    const token = signUnsubscribeToken(key, claims);
    expect(verifyUnsubscribeToken(unsubscribeKey('another-secret-0123456789'), token)).toBeUndefined();
    const [, sig] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ v: 1, t: 'acme', a: 'bob@example.com', c: 'spring' })).toString('base64url')}.${sig}`;
    expect(verifyUnsubscribeToken(key, forged)).toBeUndefined();
    for (const bad of ['', '.', 'abc', 'abc.def', `${token}x`]) expect(verifyUnsubscribeToken(key, bad)).toBeUndefined();
  });

  it('builds the gateway URL of a link', () => {
    const url = unsubscribeLinks('https://parley.example.com/', 'unsubscribe-secret-0123456789')(claims);
    expect(url).toMatch(/^https:\/\/parley\.example\.com\/v1\/unsubscribe\/[\w-]+\.[\w-]+$/);
  });

  it('refuses a short secret', () => {
    expect(() => unsubscribeKey('short')).toThrow(RangeError);
  });
});
