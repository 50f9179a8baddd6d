import { describe, expect, it } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { cachingVerifier } from './caching-verifier.ts';
import type { Claims } from './claims.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** An inner verifier that counts its calls: tokens "ok-<sub>-<exp>" pass, anything else is refused. */
function counting(): TokenVerifier & { calls: number } {
  const verifier = {
    calls: 0,
    verify(token: string): Promise<Claims> {
      verifier.calls++;
      const [ok, sub, exp] = token.split('-');
      if (ok !== 'ok') return Promise.reject(new ParleyError('unauthorized', 'bad signature'));
      return Promise.resolve({ sub: sub as string, tenant: 'acme', role: 'agent', iat: 0, exp: Number(exp) });
    },
  };
  return verifier;
}

describe('cachingVerifier', () => {
  it('checks a token once while it is remembered, and any other token again', async () => {
    const inner = counting();
    let clock = 1_000_000;
    const verifier = cachingVerifier(inner, { now: () => clock });
    await verifier.verify('ok-alice-9999');
    await verifier.verify('ok-alice-9999');
    expect(inner.calls).toBe(1);
    await verifier.verify('ok-bob-9999');
    expect(inner.calls).toBe(2);
    clock += 60_000;
    await verifier.verify('ok-alice-9999');
    expect(inner.calls).toBe(3);
  });

  it('forgets a token when it expires, before the time to live', async () => {
    const inner = counting();
    let clock = 10_000;
    const verifier = cachingVerifier(inner, { now: () => clock });
    await verifier.verify('ok-alice-20');
    clock = 19_999;
    await verifier.verify('ok-alice-20');
    expect(inner.calls).toBe(1);
    clock = 20_000;
    await verifier.verify('ok-alice-20');
    expect(inner.calls).toBe(2);
  });

  it('never remembers a refusal', async () => {
    const inner = counting();
    const verifier = cachingVerifier(inner);
    await expect(verifier.verify('forged')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(verifier.verify('forged')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(inner.calls).toBe(2);
  });

  it('forgets the least recently used token beyond its size', async () => {
    const inner = counting();
    const verifier = cachingVerifier(inner, { maxEntries: 2, now: () => 0 });
    await verifier.verify('ok-a-9999');
    await verifier.verify('ok-b-9999');
    await verifier.verify('ok-a-9999'); // a is now the most recent
    await verifier.verify('ok-c-9999'); // b goes
    expect(inner.calls).toBe(3);
    await verifier.verify('ok-a-9999');
    expect(inner.calls).toBe(3);
    await verifier.verify('ok-b-9999');
    expect(inner.calls).toBe(4);
  });
});
