import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ChannelResource } from '../../src/config/index.ts';
import { providerKeysByType } from '../../src/config/channel-provider.ts';

const doc = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');
const channels = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as { kind?: string; spec?: { type?: string } }).filter((r) => r.kind === 'Channel');

describe('docs/channels.md', () => {
  it('shows a Channel for every provider, each valid for Parley', () => {
    const providers = new Set<string>();
    for (const channel of channels) {
      const parsed = ChannelResource.safeParse(channel);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      for (const key of Object.keys(parsed.data!.spec.provider ?? {})) providers.add(key);
    }
    const all = Object.values(providerKeysByType).flat().filter((k) => k !== 'instagram');
    expect([...providers].sort()).toEqual([...new Set(all)].sort());
  });
});
