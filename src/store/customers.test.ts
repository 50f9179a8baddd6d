import { describe, expect, it } from 'vitest';
import { identitiesOf } from './customers.ts';

describe('identitiesOf', () => {
  it('links a phone id across channels only when it is E.164', () => {
    expect(identitiesOf('sms', { id: '+33612345678', idType: 'phone' })).toContainEqual({ kind: 'phone', channel: '', value: '+33612345678' });
    expect(identitiesOf('sms', { id: '0612345678', idType: 'phone' }).map((k) => k.kind)).toEqual(['channel']);
  });

  it('links by the phone and e-mail a channel reports besides an opaque id, e-mail case-folded', () => {
    const keys = identitiesOf('whatsapp', { id: 'US.13491208655302741918', idType: 'opaque', phone: '+14155550100', email: 'Camille@Example.com' });
    expect(keys).toEqual([
      { kind: 'channel', channel: 'whatsapp', value: 'opaque:US.13491208655302741918' },
      { kind: 'phone', channel: '', value: '+14155550100' },
      { kind: 'email', channel: '', value: 'camille@example.com' },
    ]);
  });
});
