import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMAIL_DEFAULTS } from '../../src/email/index.ts';
import { outcomeOfSmtpError } from '../../src/email/smtp-outcome.ts';

const doc = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## E-mail'), doc.indexOf('## What the Channel resource needs'));

/** docs/channels.md "E-mail", held to the code. */
describe('docs/channels.md E-mail', () => {
  it('states the defaults the code has', () => {
    expect(section).toContain(`default ${EMAIL_DEFAULTS.maxMessageBytes / 1024 / 1024} MiB`);
    expect(section).toContain(`port: ${EMAIL_DEFAULTS.imapPort}, secure: true`);
    expect(section).toContain(`mailbox: ${EMAIL_DEFAULTS.mailbox}, pollIntervalMs: ${EMAIL_DEFAULTS.pollIntervalMs}`);
    expect(section).toContain(`port: ${EMAIL_DEFAULTS.smtpPort} (${EMAIL_DEFAULTS.smtpsPort} with secure)`);
    expect(section).toContain(`timeoutMs: ${EMAIL_DEFAULTS.smtpTimeoutMs}`);
  });

  it('names the failure reasons the code gives', () => {
    for (const code of [550, 552, 535]) {
      const outcome = outcomeOfSmtpError({ responseCode: code });
      expect(outcome.kind).toBe('failed');
      expect(section).toContain(`\`${outcome.kind === 'failed' ? outcome.reason : ''}\``);
    }
    const transient = outcomeOfSmtpError({ responseCode: 451 });
    expect(section).toContain(`\`${transient.kind === 'retry' ? transient.reason : ''}\``);
    const down = outcomeOfSmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }));
    expect(section).toContain(`\`${down.kind === 'retry' ? down.reason : ''}\``);
  });
});
