import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ConfigRegistry } from '../config/index.ts';
import { compileRouterOptions } from './router-options.ts';

const here = import.meta.dirname;

/** The `@default` of every option of `RouterOptions`, read from its JSDoc by the TypeScript compiler. */
function documentedDefaults(): Map<string, string> {
  const file = join(here, 'router-options.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const defaults = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'RouterOptions') return;
    for (const member of node.members) {
      const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
      if (tag && member.name && ts.isIdentifier(member.name)) defaults.set(member.name.text, ts.getTextOfJSDocComment(tag.comment) ?? '');
    }
  });
  return defaults;
}

/** The defaults table of docs/cluster.md. */
function tableOfDocs(): Map<string, string> {
  const doc = readFileSync(join(here, '../../docs/cluster.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- router-options:start -->'), doc.indexOf('<!-- router-options:end -->'));
  const rows = [...table.matchAll(/^\| `(\w+)` \| (.+) \|$/gm)];
  return new Map(rows.map((r) => [r[1] as string, r[2] as string]));
}

describe('RouterOptions', () => {
  const minimal = { nc: undefined as never, db: undefined as never, config: new ConfigRegistry() };

  it('applies every documented numeric default once', () => {
    const compiled = compileRouterOptions(minimal) as unknown as Record<string, unknown>;
    const numeric = [...documentedDefaults()].filter(([, value]) => /^\d+$/.test(value));
    expect(numeric.length).toBeGreaterThan(10);
    for (const [name, value] of numeric) expect({ name, value: compiled[name] }).toEqual({ name, value: Number(value) });
  });

  it('derives the heartbeat from the lease, and takes what it is given', () => {
    expect(compileRouterOptions({ ...minimal, leaseMs: 2_000 }).heartbeatMs).toBe(400);
    expect(compileRouterOptions({ ...minimal, leaseMs: 200 }).heartbeatMs).toBe(100);
    expect(compileRouterOptions({ ...minimal, maxBatch: 7, leaseDb: 'lease' as never }).maxBatch).toBe(7);
    expect(compileRouterOptions({ ...minimal, db: 'db' as never }).leaseDb).toBe('db');
  });

  it('is documented in docs/cluster.md with the defaults of the code', () => {
    const documented = new Map([...documentedDefaults()].map(([name, value]) => [name, value.replace(/^`|`$/g, '').trim()]));
    const docs = new Map([...tableOfDocs()].map(([name, value]) => [name, value.replace(/`/g, '').trim()]));
    expect(docs).toEqual(new Map([...documented].map(([name, value]) => [name, value.replace(/`/g, '')])));
  });
});
