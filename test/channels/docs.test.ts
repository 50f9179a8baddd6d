import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChannelTypes } from '../../src/contract/index.ts';
import type { Capabilities } from '../../src/channels/index.ts';
import { capabilitiesOf, RefusalCodes } from '../../src/channels/index.ts';

const doc = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');

/** The rows of the table that follows `<!-- marker -->`, as arrays of cells. */
function table(marker: string): string[][] {
  const start = doc.indexOf(`<!-- ${marker} -->`);
  expect(start, `marker ${marker}`).toBeGreaterThan(-1);
  const lines = doc.slice(start).split('\n').slice(1);
  const rows = lines.slice(0, lines.findIndex((l, i) => i > 0 && !l.startsWith('|')));
  return rows.slice(2).map((r) => r.split('|').slice(1, -1).map((c) => c.trim()));
}

function cells(caps: Capabilities): string[] {
  const pair = (v: { max: number; titleMax: number } | null) => (v ? `${v.max} (${v.titleMax})` : 'no');
  return [
    String(caps.maxTextLength),
    pair(caps.quickReplies),
    pair(caps.buttons),
    caps.list ? String(caps.list.maxRows) : 'no',
    caps.card ? 'yes' : 'no',
    caps.carousel ? `${caps.carousel.maxCards} (${caps.carousel.maxButtonsPerCard})` : 'no',
    caps.location ? 'yes' : 'no',
    caps.timePicker ? 'yes' : 'no',
    caps.richLink ? 'yes' : 'no',
    caps.form ? 'yes' : 'no',
    caps.attachments ? 'yes' : 'links',
  ];
}

describe('docs/channels.md', () => {
  it('shows the capability table of the code, one row per channel type', () => {
    const rows = table('capabilities');
    expect(rows.map((r) => r[0]!.replaceAll('`', '')).sort()).toEqual([...ChannelTypes].sort());
    for (const row of rows) {
      const type = row[0]!.replaceAll('`', '') as (typeof ChannelTypes)[number];
      expect(row.slice(1), type).toEqual(cells(capabilitiesOf(type)));
    }
  });

  it('lists exactly the refusal codes of the code', () => {
    expect(table('refusal-codes').map((r) => r[0]!.replaceAll('`', ''))).toEqual([...RefusalCodes]);
  });
});
