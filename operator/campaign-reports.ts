import type { KV } from '@nats-io/kv';
import { parseCampaignStatus, type CampaignStatusReport } from '../src/config/index.ts';
import type { Logger } from '../src/observability/index.ts';
import { objectKey } from './controller.ts';

/** The latest campaign status reports, by namespace and name. */
export interface CampaignReportSource {
  get(namespace: string, name: string): CampaignStatusReport | undefined;
}

/**
 * Keeps the latest report of every campaign from the campaign status bucket, which the
 * campaign processes write (rate-limited, on change only), and tells `onChange` the
 * `namespace/name` key of each report that arrives, so that the Campaign controller
 * reconciles it. The reconcile reads the report from here: level-triggered like the rest.
 */
export class CampaignReports implements CampaignReportSource {
  private readonly reports = new Map<string, CampaignStatusReport>();
  private readonly listeners = new Set<(key: string) => void>();
  private watch: { stop(): void } | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kv: KV,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    const iterator = await this.kv.watch({ key: '>' });
    this.watch = iterator;
    this.loop = (async () => {
      for await (const entry of iterator) {
        const report = entry.operation === 'PUT' ? parseCampaignStatus(entry.string()) : undefined;
        if (entry.operation === 'PUT' && !report) {
          this.logger?.warn('unreadable campaign status report', { key: entry.key });
          continue;
        }
        const key = report ? objectKey(report.tenant, report.name) : objectKey(...splitEntryKey(entry.key));
        if (report) this.reports.set(key, report);
        else this.reports.delete(key);
        for (const listener of this.listeners) listener(key);
      }
    })();
  }

  get(namespace: string, name: string): CampaignStatusReport | undefined {
    return this.reports.get(objectKey(namespace, name));
  }

  /** Calls `listener` with the key of every campaign whose report changes; returns the unsubscribe. */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.watch?.stop();
    await this.loop;
  }
}

function splitEntryKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}
