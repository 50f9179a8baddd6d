#!/usr/bin/env node
// The `parley` command. In a checkout (the TypeScript sources and tsx are there) it runs
// the sources through tsx, so a stale dist/ never shadows an edit; where the sources or
// tsx are absent (the image, a production install) it runs the build: dist/ (`make build`).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/src/cli/main.js', import.meta.url);
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('parley: neither dist/ (run `make build`) nor tsx (run `npm ci`) is here to run the sources');
  process.exit(1);
}
