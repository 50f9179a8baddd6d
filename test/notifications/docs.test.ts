import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ChannelComplianceSettings, DefaultAnswers } from '../../src/compliance/index.ts';
import { notificationRoutePaths } from '../../src/gateway/notification-routes.ts';
import { oauthRoutePaths } from '../../src/gateway/oauth-routes.ts';
import { CALLBACK_SIGNATURE_HEADER, signCallback } from '../../src/notifications/index.ts';
import { OAuthErrorCodes } from '../../src/oauth/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { parse } from 'yaml';

/** docs/notifications.md and the compliance section of docs/campaigns.md restate the code: held to it here. */
const read = (name: string) => readFile(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');
const doc = await read('notifications.md');
const campaigns = await read('campaigns.md');

function section(text: string, heading: string): string {
  const start = text.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n## ', start + heading.length);
  return text.slice(start, end === -1 ? undefined : end);
}

const rows = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('| ') && !/^\|[-| ]+\|$/.test(l))
    .slice(1)
    .map((l) => l.slice(1, -1).split(' | ').map((c) => c.trim()));

describe('docs/notifications.md', () => {
  const database = useMigratedStore();

  it('lists exactly the routes the gateway serves for integrations', () => {
    const listed = rows(section(doc, '## 1. Routes')).map((r) => r[0]!.replaceAll('`', ''));
    expect(listed.sort()).toEqual([...oauthRoutePaths, ...notificationRoutePaths].sort());
  });

  it('gives every OAuth error code with its status', () => {
    const table = rows(section(doc, '## 2. Clients and tokens'));
    const documented = new Map(table.map((r) => [r[1]!.replaceAll('`', ''), Number(r[0])]));
    for (const [code, status] of Object.entries(OAuthErrorCodes)) expect(documented.get(code), code).toBe(status);
    expect(documented.size).toBe(Object.keys(OAuthErrorCodes).length);
  });

  it('describes exactly the columns of the notifications table, in order', async () => {
    const { rows: columns } = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'notifications' ORDER BY ordinal_position`.execute(database.store.db);
    const documented = rows(section(doc, '## 6. The `notifications` table')).map((r) => r[0]!.replaceAll('`', ''));
    expect(documented).toEqual(columns.map((c) => c.column_name));
  });

  it('has a signature check that accepts what the gateway signs and nothing else', async () => {
    expect(doc).toContain(`\`${CALLBACK_SIGNATURE_HEADER}: sha256=`);
    const code = /```js\n([\s\S]*?)```/.exec(section(doc, '## 5. Status callbacks'))![1]!;
    const dir = await mkdtemp(join(tmpdir(), 'parley-doc-'));
    try {
      const file = join(dir, 'verify.mjs');
      await writeFile(file, code);
      const { verifyParleySignature } = (await import(pathToFileURL(file).href)) as { verifyParleySignature: (s: string, b: string, h: unknown) => boolean };
      const body = '{"status":"delivered"}';
      expect(verifyParleySignature('whsec_x', body, signCallback('whsec_x', body))).toBe(true);
      expect(verifyParleySignature('whsec_x', `${body} `, signCallback('whsec_x', body))).toBe(false);
      expect(verifyParleySignature('whsec_y', body, signCallback('whsec_x', body))).toBe(false);
      expect(verifyParleySignature('whsec_x', body, undefined)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/campaigns.md §5', () => {
  it('has a Channel compliance example that validates', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section(campaigns, '## 5. Keywords on inbound messages'))![1]!;
    const settings = ChannelComplianceSettings.parse((parse(yaml) as { compliance: unknown }).compliance);
    expect(settings.keywords.optOut).toEqual(['ARRET', 'ARRÊT']);
  });

  it('promises what the default answers say', () => {
    expect(DefaultAnswers.help).toContain('Msg&data rates may apply');
    expect(DefaultAnswers.help).toContain('{contact}');
    for (const answer of Object.values(DefaultAnswers)) expect(answer.startsWith('{brand}')).toBe(true);
  });
});
