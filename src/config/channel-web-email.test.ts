import { describe, expect, it } from 'vitest';
import { ChannelResource } from './index.ts';

const channel = (spec: Record<string, unknown>) => ChannelResource.safeParse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'c', namespace: 'acme' }, spec: { queue: 'q', ...spec } });

describe('Channel spec.web and spec.email', () => {
  it('takes a web block with origins and offline messages, defaulting to no origins', () => {
    const parsed = channel({ type: 'web', web: { allowedOrigins: ['https://www.acme.example', 'http://localhost:3000'], offlineMessage: { en: 'Back soon', fr: 'De retour bientôt' } } });
    expect(parsed.success).toBe(true);
    expect(channel({ type: 'web', web: {} }).data?.spec.web?.allowedOrigins).toEqual([]);
  });

  it('refuses an origin with a path, and a web block on another channel type', () => {
    expect(channel({ type: 'web', web: { allowedOrigins: ['https://acme.example/shop'] } }).success).toBe(false);
    expect(channel({ type: 'email', web: { allowedOrigins: ['*'] } }).success).toBe(false);
  });

  it('takes an e-mail block with secrets by reference and fills its defaults', () => {
    const parsed = channel({
      type: 'email',
      email: {
        addresses: ['support@acme.example', '@help.acme.example'],
        fromAddress: 'support@acme.example',
        smtp: { host: 'smtp.acme.example', user: 'parley', secrets: { password: { name: 'mail', key: 'smtp' } } },
        imap: { host: 'imap.acme.example', user: 'support', pollInterval: '30s', secrets: { password: { name: 'mail', key: 'imap' } } },
        dkim: { keySelector: 's1', secrets: { privateKey: { name: 'mail', key: 'dkim' } } },
      },
    });
    expect(parsed.error).toBeUndefined();
    const email = parsed.data?.spec.email;
    expect(email?.imap).toMatchObject({ mailbox: 'INBOX', secure: true, pollInterval: 30_000 });
    expect(email?.smtp).toMatchObject({ secure: false, requireTls: false });
  });

  it('refuses an inline password, a bad recipient and an e-mail block on a web channel', () => {
    expect(channel({ type: 'email', email: { fromAddress: 'a@acme.example', smtp: { host: 'h', password: 'x' } } }).success).toBe(false);
    expect(channel({ type: 'email', email: { fromAddress: 'a@acme.example', addresses: ['acme.example'] } }).success).toBe(false);
    expect(channel({ type: 'web', email: { fromAddress: 'a@acme.example' } }).success).toBe(false);
  });
});
