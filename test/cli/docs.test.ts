import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.ts';
import type { UpState } from '../../src/process/index.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const section = (doc: string, heading: string) => doc.slice(doc.indexOf(heading), doc.indexOf('\n## ', doc.indexOf(heading) + heading.length));

/** The command tables of the README and operations.md §1 are held to the CLI's command table. */
describe('docs of the parley command', () => {
  const readme = section(read('README.md'), '## The `parley` command');
  const processes = section(read('docs/operations.md'), '## 1. Processes');

  it('the README and operations.md §1 have a row for every command, and no other', () => {
    const names = commands.map((c) => c.name).sort();
    const rows = (text: string) => [...new Set([...text.matchAll(/^\| `parley ([a-z]+)\b/gm)].map((m) => m[1] as string))].sort();
    expect(rows(processes)).toEqual(names);
    expect(rows(readme)).toEqual(names);
  });

  it('operations.md §1 names every field of up.json', () => {
    const fields: Record<keyof UpState, true> = { gatewayUrl: true, natsUrl: true, authSecret: true, pid: true };
    for (const field of Object.keys(fields)) expect(processes).toContain(`\`${field}\``);
  });
});
