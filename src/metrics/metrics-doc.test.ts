import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../operator/metrics.ts';
import { gatewayMetrics } from '../gateway/metrics.ts';
import { configChangesCounter } from '../process/config-metrics.ts';
import { webMetrics } from '../web-messaging/index.ts';
import { createRouterMetrics } from './router-metrics.ts';
import { reportMetrics } from '../reports/index.ts';
import { channelMetrics } from '../channel-service/metrics.ts';

/** docs/metrics.md is the reference for SREs: one table row per metric the code registers, with its type and labels. */

const doc = readFileSync(fileURLToPath(new URL('../../docs/metrics.md', import.meta.url)), 'utf8');

/** `| \`name\` | type | labels | meaning |` rows, by name. */
const rows = new Map(
  [...doc.matchAll(/^\| `(parley_[a-z0-9_]+)` \| ([a-z]+) \| ([^|]*) \|/gm)].map((m) => [
    m[1] as string,
    { type: m[2] as string, labels: (m[3] as string).trim() === '—' ? [] : [...(m[3] as string).matchAll(/`([^`]+)`/g)].map((l) => l[1] as string) },
  ]),
);

function registered(): { name: string; type: string; labels: string[] }[] {
  const registry = new Registry();
  createRouterMetrics(registry);
  gatewayMetrics(registry);
  new OperatorMetrics(registry);
  configChangesCounter(registry);
  reportMetrics(registry);
  webMetrics(registry);
  channelMetrics(registry);
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; labelNames: string[]; constructor: { name: string } };
    return { name: metric.name, type: metric.constructor.name.toLowerCase(), labels: [...metric.labelNames].sort() };
  });
}

describe('docs/metrics.md', () => {
  it('has a row for every metric, with its type and labels', () => {
    for (const metric of registered()) {
      const row = rows.get(metric.name);
      expect(row, `no row for ${metric.name}`).toBeDefined();
      expect(row?.type, metric.name).toBe(metric.type);
      expect([...(row?.labels ?? [])].sort(), metric.name).toEqual(metric.labels);
    }
  });

  it('has no row for a metric that does not exist', () => {
    const names = new Set(registered().map((m) => m.name));
    expect([...rows.keys()].filter((name) => !names.has(name))).toEqual([]);
  });
});
