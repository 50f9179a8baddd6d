import { Readable } from 'node:stream';
import { EventsV1Api, type EventsV1Event } from '@kubernetes/client-node';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStreams } from '../../src/bus/index.ts';
import { startCampaignService, type CampaignService } from '../../src/campaigns/index.ts';
import { campaignStatusKey, openCampaignStatusBucket, openConfigBucket, parseCampaignStatus } from '../../src/config/index.ts';
import { importContacts, saveContactList } from '../../src/contacts/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { REPORTING_CONTROLLER } from '../../operator/index.ts';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import type { Router } from '../../src/router/index.ts';
import { FakeProvider, campaignResources, daytimeClock, registryOf, startCampaignRouter } from '../campaigns/support.ts';
import { cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';

const tenant = 'campaign-status';

const manifests = `apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${tenant} }
spec: {}
---
apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: sms, namespace: ${tenant} }
spec: { type: sms, queue: support }
---
apiVersion: parley.dev/v1alpha1
kind: Campaign
metadata: { name: spring, namespace: ${tenant} }
spec:
  channel: sms
  contacts: { listId: spring-list }
  message: { template: 'Hi {{ first_name | default: "there" }}, spring sale!' }
  window: { days: [mon, tue, wed, thu, fri, sat, sun], start: '08:00', end: '21:00', timeZone: UTC }
  pacing: { messagesPerMinute: 600000 }
`;

/**
 * A Campaign resource shows what the campaign processes do: Ready=False with the reason
 * while its contact list is missing, then its state, progress and Completed condition
 * written back by the operator from the campaign status bucket, with one Event per change.
 * Real NATS and PostgreSQL, the fake kube-apiserver, a fake provider.
 */
describe('Campaign status written back to the resource', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let store: Store;
  let nc: NatsConnection;
  let statusBucket: KV;
  let op: TestOperator;
  let objects: Objects;
  let events: EventsV1Api;
  let provider: FakeProvider;
  let campaigns: CampaignService | undefined;
  let router: Router | undefined;

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    nc = await connectBus({ url: services.natsUrl });
    await ensureStreams(nc);
    statusBucket = await openCampaignStatusBucket(nc);
    const kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    events = kc.makeApiClient(EventsV1Api);
    await ensureNamespace(kube.kubeconfigPath, tenant);
    op = await startTestOperator(kc, await openConfigBucket(nc), { namespaces: [tenant], leaderElection: false, campaignStatus: statusBucket });
    provider = await new FakeProvider(nc).start();
  });

  afterAll(async () => {
    await campaigns?.stop();
    await router?.stop();
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', '-f', '-', '--ignore-not-found', '--wait', '--timeout=30s'], manifests);
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', tenant, '--wait=false']);
    }
    await op?.operator.stop();
    await provider?.stop();
    await nc?.drain();
    await store?.close();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  const recorded = async (): Promise<string[]> => {
    const list = await events.listNamespacedEvent({ namespace: tenant });
    return list.items
      .filter((e: EventsV1Event) => e.reportingController === REPORTING_CONTROLLER && e.regarding?.kind === 'Campaign')
      .sort((a, b) => new Date(a.eventTime).getTime() - new Date(b.eventTime).getTime())
      .map((e) => `${e.type} ${e.reason}: ${e.note ?? ''}`);
  };

  it('says ListNotFound until the list exists, then shows the run to completion with its progress', { timeout: 90_000 }, async () => {
    await kubectlOk(kube.kubeconfigPath, ['apply', '-f', '-'], manifests);
    // Before any campaign process reports: live, zero progress.
    await objects.waitForReady('Campaign', tenant, 'spring', { status: 'True', reason: 'Ready' });

    const resources = campaignResources({ tenant, campaign: 'spring', listId: 'spring-list' });
    router = await startCampaignRouter(nc, store.db);
    campaigns = await startCampaignService({ nc, db: store.db, config: registryOf(resources), host: router.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 50, statusEveryMs: 200, logger: createLogger({ component: 'campaigns-test' }, { level: 'warn' }) });

    const missing = await objects.waitForReady('Campaign', tenant, 'spring', { status: 'False', reason: 'ListNotFound' });
    expect(missing.ready.message).toContain('spring-list');
    expect(missing.obj.status?.state).toBe('scheduled');
    const report = parseCampaignStatus((await statusBucket.get(campaignStatusKey(tenant, 'spring')))?.string() ?? '');
    expect(report).toMatchObject({ state: 'scheduled', problem: { reason: 'ListNotFound' } });
    expect(await kubectlOk(kube.kubeconfigPath, ['get', 'campaigns', '-n', tenant])).toMatch(/spring\s+sms\s+false\s+scheduled\s+0\s+ListNotFound/);

    await saveContactList(store.db, { tenant, id: 'spring-list', name: 'Spring' });
    const csv = ['id,phone,first_name', ...Array.from({ length: 6 }, (_, i) => `c${i},+1212555${2000 + i},Name${i}`)].join('\n') + '\n';
    expect((await importContacts(Readable.from([csv]), { tenant, listId: 'spring-list', database: store.db })).rejectedCount).toBe(0);

    const done = await waitFor(async () => {
      const obj = await objects.get('Campaign', tenant, 'spring');
      return obj?.status?.state === 'completed' && obj.status.progress?.delivered === 6 ? obj : undefined;
    }, { timeoutMs: 60_000, what: 'the Campaign completed with 6 delivered' });
    expect(done.status?.progress).toEqual({ total: 6, processed: 6, sent: 6, delivered: 6, failed: 0, skipped: 0, skippedByReason: {}, waiting: 0, replied: 0 });
    expect(done.status?.startedAt).toBeDefined();
    expect(done.status?.endedAt).toBeDefined();
    const conditions = Object.fromEntries((done.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.Ready).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(conditions.Completed).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(provider.messages.filter((m) => m.tenant === tenant)).toHaveLength(6);

    const seen = await waitFor(async () => {
      const now = await recorded();
      return now.some((e) => e.startsWith('Warning CannotRun:') && e.includes('spring-list')) && now.some((e) => e.startsWith('Normal Completed:')) ? now : undefined;
    }, { what: 'the CannotRun and Completed events' });
    // One Event per change: Completed once, and never the same Event twice in a row (while
    // the list is empty its columns are unknown, so InvalidTemplate may come between).
    expect(seen.filter((e) => e.startsWith('Normal Completed:'))).toHaveLength(1);
    expect(seen.filter((e, i) => i > 0 && e === seen[i - 1])).toEqual([]);
    expect(seen.findIndex((e) => e.startsWith('Warning CannotRun:'))).toBeLessThan(seen.findIndex((e) => e.startsWith('Normal Completed:')));
  });
  it('the API server refuses replies that name a queue and keyword answers (CEL rule)', async () => {
    const both = manifests.split('---').at(-1)!.replace('name: spring', 'name: both') + '  replies: { queue: support, keywords: [{ match: [price], answer: "From $9." }] }\n';
    await expect(kubectlOk(kube.kubeconfigPath, ['apply', '-f', '-'], both)).rejects.toThrow(/keywords and otherwise answer replies only without a queue/);
    const keywordsOnly = manifests.split('---').at(-1)!.replace('name: spring', 'name: keywords-only') + '  paused: true\n  replies: { keywords: [{ match: [price], answer: "From $9." }] }\n';
    await kubectlOk(kube.kubeconfigPath, ['apply', '-f', '-'], keywordsOnly);
    await kubectlOk(kube.kubeconfigPath, ['delete', 'campaign', 'keywords-only', '-n', tenant, '--wait', '--timeout=30s']);
  });
});
