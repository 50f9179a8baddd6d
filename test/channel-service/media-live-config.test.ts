import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { channel, queue } from '../support/parley.ts';
import { sendMail } from '../email/mail-sink.ts';
import { useChannels } from './harness.ts';

const tenant = 'acme';
const base = [queue(tenant, 'support')];
const web = channel(tenant, 'chat', { type: 'web', queue: 'support', web: { allowedOrigins: ['https://shop.acme.example'] } });
const email = channel(tenant, 'mail', { type: 'email', queue: 'support', email: { addresses: ['help@acme.example'], fromAddress: 'help@acme.example' } });

/** Web messaging and the SMTP listener read the live configuration at each request and mail. */
const harness = useChannels(() => base, () => ({}), {
  web: { secret: randomBytes(32) },
  email: { attachmentBaseUrl: 'http://127.0.0.1:8080/v1/email-attachments/', smtp: { host: '127.0.0.1', port: 0 } },
});

const openSession = () => fetch(`${harness().baseUrl}/web/v1/${tenant}/chat/sessions`, { method: 'POST', headers: { origin: 'https://shop.acme.example' } });
const mail = () => sendMail(harness().channels.smtpPort!, { from: 'jo@customer.example', to: 'help@acme.example', subject: 'Hi', text: 'Hello' });

describe('channels added and removed after the channels role started', () => {
  it('a web Channel and an e-mail Channel work as soon as they are configured, and stop when removed', async () => {
    expect(harness().channels.smtpPort).toBeGreaterThan(0);
    expect((await openSession()).status).toBe(404);
    await expect(mail()).rejects.toMatchObject({ responseCode: 550 });

    harness().parley.config.apply([...base, web, email]);
    expect((await openSession()).status).toBe(201);
    expect((await mail()).response).toMatch(/^250 /);

    harness().parley.config.apply(base);
    expect((await openSession()).status).toBe(404);
    await expect(mail()).rejects.toMatchObject({ responseCode: 550 });
  });
});
