#!/usr/bin/env node
// The `parley` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// Tracing (when an OTLP endpoint is configured) starts before anything else is loaded:
// the pg and http instrumentations patch ES modules through a loader hook, which only
// sees the modules imported after it.
const { startTracing } = await import('../src/observability/tracing.ts');
await startTracing(process.argv[2] ?? 'cli');
await import('../src/cli/main.ts');
