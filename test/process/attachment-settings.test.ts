import { describe, expect, it } from 'vitest';
import { agentAttachmentOptions } from '../../src/process/attachment-settings.ts';
import { readSettings } from '../../src/process/settings.ts';

/** Which key signs the links of files agents upload, and where they point (docs/operations.md §2). */
describe('agent attachment settings', () => {
  const web = 'w'.repeat(32);

  it('signs with PARLEY_WEB_SECRET, shared with the channels role, at PARLEY_PUBLIC_URL', () => {
    const settings = readSettings({ PARLEY_WEB_SECRET: web, PARLEY_PUBLIC_URL: 'https://desk.example.com' });
    expect(agentAttachmentOptions(settings, 'local-secret')).toEqual({ secret: web, publicUrl: 'https://desk.example.com' });
  });

  it('derives a key of its own from the local secret, never the secret itself', () => {
    const options = agentAttachmentOptions(readSettings({}), 'local-secret');
    expect(options?.secret).toBeInstanceOf(Buffer);
    expect(Buffer.from(options!.secret).toString('utf8')).not.toContain('local-secret');
    expect((options!.secret as Buffer).length).toBe(32);
    expect(options).not.toHaveProperty('publicUrl');
  });

  it('gives none without either: uploads then answer 503', () => {
    expect(agentAttachmentOptions(readSettings({}), undefined)).toBeUndefined();
  });
});
