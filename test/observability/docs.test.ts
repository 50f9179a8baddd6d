import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { ROOT_CONTEXT, defaultTextMapSetter, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { subjectTemplate } from '../../src/bus/index.ts';
import { subjects } from '../../src/contract/index.ts';
import { REDACTED_FIELDS, REPEAT_INTERVAL_MS } from '../../src/observability/index.ts';
import { SCHEMA_CHECK_MS } from '../../src/process/schema-watch.ts';
import { SCHEMA_FLOOR_SETTING } from '../../src/store/index.ts';

/** docs/operations.md §8 (logs), §9 (migrations) and §16 (tracing), and docs/contract.md §20, held to the code. */

const read = (name: string) => readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');
const section = (doc: string, heading: string) => {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = doc.indexOf('\n## ', start + heading.length + 2);
  return doc.slice(start, next < 0 ? undefined : next);
};
const operations = read('operations.md');
const logs = section(operations, '## 8. Logs');
const tracing = section(operations, '## 16. Tracing');
const migrations = section(operations, '## 9. Database and migrations');
const source = (path: string) => readFileSync(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)), 'utf8');
const contract = section(read('contract.md'), '## 20. Trace context');

describe('docs/operations.md', () => {
  it('lists exactly the fields the logger redacts', () => {
    const list = /\*\*Redaction\*\*[\s\S]*?\): ([\s\S]*?)\.\n/.exec(logs)?.[1] ?? '';
    expect([...list.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual([...REDACTED_FIELDS]);
  });

  it('gives the interval over which repeated lines are summed up', () => {
    expect(logs).toContain(`at most one line every ${REPEAT_INTERVAL_MS / 1000} s`);
  });

  it('names the spans Parley makes on each subject as the code names them', () => {
    const names = [
      `process ${subjectTemplate(subjects.inbound('t', 'c'))}`,
      `publish ${subjectTemplate(subjects.outbound('t', 'c'))}`,
      `publish ${subjectTemplate(subjects.agentEvents('t', 'a'))}`,
      `publish ${subjectTemplate(subjects.agentCommands('t', 'a'))}`,
      `process ${subjectTemplate(subjects.agentCommands('t', 'a'))}`,
      `request ${subjectTemplate(subjects.partition(3, 'actor')).replace(/\.actor$/, '.{kind}')}`,
    ];
    for (const name of names) expect(tracing, name).toContain(`| \`${name}`);
  });
});

describe('docs/operations.md §9', () => {
  it('names the schema floor setting and how often a process reads it', () => {
    expect(migrations).toContain(`\`${SCHEMA_FLOOR_SETTING}\``);
    expect(migrations).toContain(`within ${SCHEMA_CHECK_MS / 1000} s`);
    expect(migrations).toContain(`every ${SCHEMA_CHECK_MS / 1000} s`);
  });

  it('quotes the log lines of a schema newer than the release as the code writes them', () => {
    const code = source('process/schema-watch.ts') + source('cluster/partition-leases.ts') + source('process/run-router.ts');
    const quoted = ['the database schema is newer than this release, and still runs it', 'the database schema needs a newer release: this process stops', 'the database schema needs a newer release: this router takes no more partitions'];
    for (const line of quoted) {
      expect(code, line).toContain(`'${line}'`);
      expect(logs, line).toContain(`\`${line}\``);
    }
    expect(code).toContain(`'the database schema needs a newer release'`);
    expect(migrations).toContain('`the database schema needs a newer release` as the reason');
  });
});

describe('docs/contract.md §20', () => {
  it('names the headers the W3C propagator writes', () => {
    const carrier: Record<string, string> = {};
    const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('parley=1') };
    new W3CTraceContextPropagator().inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter);
    expect(Object.keys(carrier).sort()).toEqual(['traceparent', 'tracestate']);
    for (const header of Object.keys(carrier)) expect(contract).toContain(`\`${header}\``);
  });
});
