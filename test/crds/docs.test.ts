import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { customResourceDefinition, kindDefinitions, type JSONSchemaProps } from '../../src/config/crd-schema.ts';

/** docs/resources.md is the reference for platform teams: it must cover every field the CRDs accept. */

const docs = await readFile(fileURLToPath(new URL('../../docs/resources.md', import.meta.url)), 'utf8');

/** Field paths under spec, as the docs write them: `inboundFlow.rules[].match.keywords`. */
function fieldPaths(schema: JSONSchemaProps, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    paths.push(path);
    const items = child.items;
    if (items?.properties) paths.push(...fieldPaths(items, `${path}[].`));
    else if (child.properties) paths.push(...fieldPaths(child, `${path}.`));
  }
  return paths;
}

/** The lines of the docs section of one kind (`## 2. Channel` up to the next `## `). */
function section(kind: string): string {
  const start = docs.search(new RegExp(`^## \\d+\\. ${kind}$`, 'm'));
  expect(start, `docs/resources.md has a section for ${kind}`).toBeGreaterThan(-1);
  const rest = docs.slice(start + 1);
  const end = rest.search(/^## /m);
  return end === -1 ? rest : rest.slice(0, end);
}

describe.each(kindDefinitions.map((k) => [k.kind, k] as const))('docs/resources.md on %s', (kind, k) => {
  const crd = customResourceDefinition(k);
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec as JSONSchemaProps;

  it('has a table row for every spec field, with whether the router applies it as of this version', () => {
    const text = section(kind);
    for (const path of fieldPaths(spec)) {
      const row = text.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
      expect(row, `no row for spec.${path}`).toBeDefined();
      expect(row?.split('|').length, `spec.${path}: field, type, default, limits, meaning, applied`).toBe(6 + 2);
    }
    const rows = text.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line)).map((line) => /^\| `([^`]+)`/.exec(line)?.[1]);
    expect(rows.filter((r) => r !== undefined && !fieldPaths(spec).includes(r)), 'rows for fields that do not exist').toEqual([]);
  });

  it('names its short names and printer columns', () => {
    for (const s of crd.spec.names.shortNames) expect(docs).toContain(`\`${s}\``);
    for (const c of crd.spec.versions[0]?.additionalPrinterColumns ?? []) expect(docs).toContain(`\`${c.name}\``);
  });
});
