import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cyclesOf, folderOf, importsOf, sourceFiles } from './import-graph.ts';

const root = join(import.meta.dirname, '../../src');
const imports = importsOf(root, sourceFiles(root));
const crossing = imports.filter((i) => folderOf(i.from) !== undefined && folderOf(i.to) !== undefined && folderOf(i.from) !== folderOf(i.to));

/**
 * Imports into another folder's inner files that are allowed for now, each with why.
 * `from → to`, paths relative to src/.
 */
const ALLOWED_INNER_IMPORTS: Record<string, string> = {};

/** The folders of src/ import each other only through their public face, and in one direction. */
describe('the import graph of src/', () => {
  it('parses the imports of every source file', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(crossing.length).toBeGreaterThan(50);
  });

  it('has no cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of crossing) {
      const from = folderOf(i.from) as string;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(folderOf(i.to) as string);
    }
    expect(cyclesOf(edges)).toEqual([]);
  });

  it('imports another folder only through its index.ts', () => {
    const inner = crossing
      .filter((i) => !/^[^/]+\/index\.ts$/.test(i.to))
      .map((i) => `${i.from} → ${i.to}`)
      .filter((edge) => !(edge in ALLOWED_INNER_IMPORTS));
    expect(inner).toEqual([]);
  });

  it('lists no allowed exception that is gone', () => {
    const edges = new Set(crossing.map((i) => `${i.from} → ${i.to}`));
    expect(Object.keys(ALLOWED_INNER_IMPORTS).filter((edge) => !edges.has(edge))).toEqual([]);
  });
});
