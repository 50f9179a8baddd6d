/**
 * Writes crds/<plural>.parley.dev.yaml from the zod schemas in src/config.
 *
 *   npx tsx scripts/generate-crds.ts           write the files
 *   npx tsx scripts/generate-crds.ts --check   exit 1 if a file differs (CI)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { crdFiles } from '../src/config/crd-schema.ts';

const dir = fileURLToPath(new URL('../crds/', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;

for (const { file, text } of crdFiles()) {
  const path = `${dir}${file}`;
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  if (check) {
    console.error(`crds/${file} is out of date: run npx tsx scripts/generate-crds.ts`);
    stale++;
  } else {
    await writeFile(path, text);
    console.log(`wrote crds/${file}`);
  }
}
if (stale > 0) process.exit(1);
