import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EventReasons, ReadyReasons } from '../../operator/index.ts';
import { FallbackOutcomes } from '../../src/router/index.ts';
import { CampaignProblemReasons } from '../../src/config/index.ts';

const doc = (name: string) => readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');

/** The operator's reasons and the fallback outcomes, as the docs state them. */
describe('docs hold to the operator code', () => {
  it('resources.md §5 has a row for every Ready reason the operator writes, a Campaign\'s included', () => {
    const rows = [...doc('resources.md').matchAll(/^\| `([A-Za-z]+)` \| (True|False) \|/gm)].map((m) => m[1]);
    const written = [...Object.values(ReadyReasons).filter((r) => r !== ReadyReasons.Reconciling), ...CampaignProblemReasons];
    expect([...rows].sort()).toEqual([...written].sort());
  });

  it('operations.md §12 has a row for every Event reason, with its type', () => {
    const rows = [...doc('operations.md').matchAll(/^\| (Normal|Warning) \| `([A-Za-z]+)` \|/gm)].map((m) => m[2]);
    expect([...rows].sort()).toEqual(Object.values(EventReasons).sort());
  });

  it('metrics.md names every outcome of parley_queue_fallbacks_total', () => {
    const row = doc('metrics.md')
      .split('\n')
      .find((line) => line.startsWith('| `parley_queue_fallbacks_total` |'));
    for (const outcome of Object.values(FallbackOutcomes)) expect(row).toContain(`\`${outcome}\``);
  });
});
