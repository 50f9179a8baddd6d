import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigRegistry, Resource } from '../../src/config/index.ts';
import { receiptMsgId, streams, subjects, type DeliveryReceipt, type OutboundMessage } from '../../src/contract/index.ts';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/observability/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { migrateToLatest, openStore, type Database, type Store } from '../../src/store/index.ts';
import { connectBus, ensureStreams } from '../../src/bus/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';

/** An SMS channel and a campaign over it, as Resources, for a registry. */
/**
 * A clock for quiet hours that reads Wednesday 16:00 UTC (11:00 in New York, 08:00 in Los
 * Angeles, 17:00 in Paris: inside every window the tests declare and the legal 08:00–21:00)
 * and then runs in real time, so that no test depends on the hour it runs at.
 */
export function daytimeClock(): () => Date {
  const started = Date.now();
  const daytime = Date.UTC(2026, 11, 9, 16, 0);
  return () => new Date(daytime + (Date.now() - started));
}

export function campaignResources(options: {
  tenant: string;
  campaign: string;
  listId: string;
  template?: string;
  channelType?: 'sms' | 'email';
  perMinute?: number;
  window?: { days?: string[]; start?: string; end?: string; timeZone?: string };
  doNotContact?: string[];
  paused?: boolean;
  replies?: { queue?: string; window?: string; noReplyClose?: string; keywords?: { match: string[]; answer: string }[]; otherwise?: string };
  withChannel?: boolean;
}): Resource[] {
  const channel = {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name: 'sms', namespace: options.tenant },
    spec: { type: options.channelType ?? 'sms', queue: 'support' },
  };
  const campaign = {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Campaign',
    metadata: { name: options.campaign, namespace: options.tenant },
    spec: {
      channel: 'sms',
      contacts: { listId: options.listId },
      message: { template: options.template ?? 'Hi {{ first_name | default: "there" }}, spring sale!' },
      doNotContact: options.doNotContact ?? [],
      window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '08:00', end: '21:00', timeZone: 'UTC', ...options.window },
      pacing: { messagesPerMinute: options.perMinute ?? 600_000 },
      paused: options.paused ?? false,
      ...(options.replies && { replies: options.replies }),
    },
  };
  return [...(options.withChannel === false ? [] : [channel]), campaign].map((r) => Resource.parse(r));
}

export function registryOf(resources: Resource[]): ConfigRegistry {
  const registry = new ConfigRegistry();
  registry.apply(resources);
  return registry;
}

/**
 * The far end: a consumer of PARLEY_OUTBOUND standing in for the channels process and
 * the provider. Every message is recorded; each is answered with the receipts a provider
 * sends (`sent`, then `delivered` or `failed`), in the real DeliveryReceipt shape, on
 * `parley.v1.receipts.<tenant>.<channel>`.
 */
export class FakeProvider {
  readonly messages: OutboundMessage[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly fails: (m: OutboundMessage) => string | undefined = () => undefined,
  ) {}

  async start(): Promise<this> {
    const jsm = await jetstreamManager(this.nc);
    const name = `fake-provider-${randomUUID().slice(0, 8)}`;
    await jsm.consumers.add(streams.outbound.name, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const consumer = await jetstream(this.nc).consumers.get(streams.outbound.name, name);
    const js = jetstream(this.nc);
    const iterator = await consumer.consume({ max_messages: 256 });
    this.loop = (async () => {
      for await (const msg of iterator) {
        const m = msg.json<OutboundMessage>();
        this.messages.push(m);
        const receipt = (status: DeliveryReceipt['status'], reason?: string): DeliveryReceipt => ({
          version: 1,
          tenant: m.tenant,
          channel: m.channel,
          messageId: m.id,
          status,
          timestamp: new Date().toISOString(),
          platformMessageId: `SM${m.id.replaceAll('-', '')}`,
          ...(reason && { reason }),
        });
        const failure = this.fails(m);
        const answers = failure ? [receipt('failed', failure)] : [receipt('sent'), receipt('delivered')];
        for (const r of answers) await js.publish(subjects.receipts(r.tenant, r.channel), JSON.stringify(r), { msgID: receiptMsgId(r.messageId, r.status) });
        msg.ack();
        if (this.stopped) break;
      }
    })();
    this.iterator = iterator;
    return this;
  }

  private iterator: { stop(): void } | undefined;

  to(address: string): OutboundMessage[] {
    return this.messages.filter((m) => m.to.id === address);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.iterator?.stop();
    await this.loop;
  }
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(private at: Date) {}
  now = (): Date => new Date(this.at);
  set(at: Date | string): void {
    this.at = new Date(at);
  }
}

/**
 * A router in this process, with no configuration of its own: the partition runtime the
 * campaign services of a test run over (`router.campaigns`). Alone in its cluster, it
 * owns every partition; with others (each its own `nodeId`), they share them.
 */
export async function startCampaignRouter(nc: NatsConnection, db: Kysely<Database>, options: { nodeId?: string; leaseMs?: number } = {}): Promise<Router> {
  return startRouter({ nc, db, config: new ConfigRegistry(), registry: new Registry(), ...options, logger: createLogger({ component: 'campaign-router' }, { level: 'warn' }) });
}

/** What a campaign test runs against: real NATS and PostgreSQL (migrated, streams made) and a fake provider at the far end. */
export interface CampaignBed {
  services: TestServices;
  store: Store;
  nc: NatsConnection;
  provider: FakeProvider;
  stop(): Promise<void>;
}

export async function startCampaignBed(): Promise<CampaignBed> {
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl });
  await migrateToLatest(store.db);
  const nc = await connectBus({ url: services.natsUrl });
  await ensureStreams(nc);
  const provider = await new FakeProvider(nc).start();
  return {
    services,
    store,
    nc,
    provider,
    async stop() {
      await provider.stop();
      await nc.drain();
      await store.close();
      await services.stop();
    },
  };
}
