#!/usr/bin/env node
// The `parley` command. In a checkout (the TypeScript sources and tsx are there) it runs
// the sources through tsx, so a stale dist/ never shadows an edit; where the sources or
// tsx are absent (the image, a production install) it runs the build: dist/ (`make build`).
import { existsSync } from 'node:fs';

const source = new URL('../src/', import.meta.url);
const built = new URL('../dist/src/', import.meta.url);
const tsx = existsSync(new URL('cli/main.ts', source)) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
tsx?.register();
const [root, ext] = tsx ? [source, 'ts'] : [built, 'js'];
if (!existsSync(new URL(`cli/main.${ext}`, root))) {
  console.error('parley: neither dist/ (run `make build`) nor tsx (run `npm ci`) is here to run the sources');
  process.exit(1);
}
// Tracing (when an OTLP endpoint is configured) starts before anything else is loaded:
// the pg and http instrumentations patch ES modules through a loader hook, which only
// sees the modules imported after it.
const { startTracing } = await import(new URL(`observability/tracing.${ext}`, root).href);
await startTracing(process.argv[2] ?? 'cli');
await import(new URL(`cli/main.${ext}`, root).href);
