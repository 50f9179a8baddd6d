import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from '../../web/app/src/i18n/en.ts';
import { formatSize, formatTypes, refusalOf, uploadLimitsOf } from '../../web/app/src/upload-limits.ts';

/** The file limits the desktop shows and checks before an upload (docs/desktop.md, attaching files). */
describe('the desktop’s upload limits', () => {
  const whatsapp = uploadLimitsOf('whatsapp')!;

  it('shows WhatsApp’s as docs/desktop.md quotes them', () => {
    const line = en['limits.files'].replace('{max}', formatSize(whatsapp.maxBytes, 'en')).replace('{types}', formatTypes(whatsapp.types));
    expect(line).toBe('Files up to 5 MB: JPEG, PNG, PDF, TXT');
    const doc = readFileSync(fileURLToPath(new URL('../../docs/desktop.md', import.meta.url)), 'utf8');
    expect(doc).toContain(`*${line}* on WhatsApp`);
    expect(formatSize(whatsapp.maxBytes, 'fr')).toBe('5\u202fMo');
  });

  it('refuses what the gateway would, before the file travels', () => {
    expect(refusalOf({ type: 'image/png', size: 100 }, whatsapp, 'en')).toBeUndefined();
    expect(refusalOf({ type: 'image/png', size: whatsapp.maxBytes + 1 }, whatsapp, 'en')).toEqual({ key: 'composer.fileTooLarge', vars: { max: '5 MB' } });
    expect(refusalOf({ type: 'image/gif', size: 100 }, whatsapp, 'en')).toEqual({ key: 'composer.fileTypeRefused', vars: { types: 'JPEG, PNG, PDF, TXT' } });
    expect(refusalOf({ type: 'image/png', size: 0 }, whatsapp, 'en')).toEqual({ key: 'composer.fileEmpty', vars: {} });
  });

  it('knows no limits for a channel type it does not know yet', () => {
    expect(uploadLimitsOf(undefined)).toBeUndefined();
    expect(uploadLimitsOf('pigeon')).toBeUndefined();
  });
});
