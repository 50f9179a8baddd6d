import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConsentLedgerColumns, DefaultKeywords, DncExportColumns, KeywordKinds } from '../../src/compliance/index.ts';
import { ContactExportColumns } from '../../src/contacts/index.ts';

/** docs/campaigns.md restates the keywords and the export formats: it must say what the code does. */
const docs = await readFile(fileURLToPath(new URL('../../docs/campaigns.md', import.meta.url)), 'utf8');
const oneLine = docs.replace(/\s+/g, ' ');
const codeList = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

describe('docs/campaigns.md', () => {
  it('lists exactly the default keywords of each kind', () => {
    for (const kind of KeywordKinds) {
      const row = docs.match(new RegExp(`^\\| ${kind} \\| (.*) \\|$`, 'm'));
      expect(row?.[1]?.split(', '), kind).toEqual([...DefaultKeywords[kind]]);
    }
  });

  it('gives the columns of each CSV export in order', () => {
    expect(oneLine).toContain(`with the columns ${codeList(ContactExportColumns)}, then the list's own columns`);
    expect(oneLine).toContain(`with the columns ${codeList(DncExportColumns)}`);
    expect(oneLine).toContain(`with the columns ${codeList(ConsentLedgerColumns)}`);
  });
});
