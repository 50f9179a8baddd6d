import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newOfferId } from './offer-ids.ts';

describe('newOfferId', () => {
  it('makes version 4 UUIDs, all different, across refills of its random bytes', () => {
    const ids = Array.from({ length: 1_000 }, () => newOfferId());
    for (const id of ids) expect(z.uuid({ version: 'v4' }).safeParse(id).success, id).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
