import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus } from '../../src/bus/index.ts';
import { sendCampaignCommand, serveCampaignCommands, type CampaignHost } from '../../src/campaigns/index.ts';
import type { CampaignCommand } from '../../src/campaigns/campaign-kind.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';

/**
 * The API's campaign command crosses NATS from the gateway to a router: the router's
 * handling continues the trace of the request that sent it. The campaigns' runtime behind
 * it is replaced by its one method the command path calls; with real routers the command
 * is tested in campaign-actor.test.ts.
 */
describe('campaign command tracing', () => {
  const local = new InMemorySpanExporter();
  let sdk: NodeSDK;
  let services: TestServices;
  let nc: NatsConnection;
  let serving: Subscription;
  const taken: CampaignCommand[] = [];

  beforeAll(async () => {
    sdk = new NodeSDK({ serviceName: 'parley-test', spanProcessors: [new SimpleSpanProcessor({ exporter: local })], instrumentations: [], logRecordProcessors: [] });
    sdk.start();
    services = await startTestServices();
    nc = await connectBus({ url: services.natsUrl });
    const host = {
      command: (command: CampaignCommand) => {
        taken.push(command);
        return Promise.resolve({ result: 'done' as const, state: 'running' as const });
      },
    } as Pick<CampaignHost, 'command'> as CampaignHost;
    serving = serveCampaignCommands(nc, host, createLogger({}, { level: 'error', write: () => undefined }));
    await nc.flush();
  });

  afterAll(async () => {
    serving?.unsubscribe();
    await nc?.drain();
    await services?.stop();
    await sdk?.shutdown();
  });

  it("runs the command in a span under the request's, in the caller's trace", async () => {
    let traceId = '';
    // The gateway's API request, as its HTTP instrumentation would have started it.
    const state = await trace.getTracer('test').startActiveSpan('POST /v1/campaigns/{name}/start', async (api) => {
      traceId = api.spanContext().traceId;
      try {
        return await sendCampaignCommand(nc, { tenant: 'acme', name: 'spring', event: { type: 'start', at: new Date().toISOString() } });
      } finally {
        api.end();
      }
    });
    expect(state).toBe('running');
    expect(taken.map((c) => `${c.tenant}/${c.name} ${c.event.type}`)).toEqual(['acme/spring start']);
    const processed = await waitFor(() => local.getFinishedSpans().find((s) => s.name.startsWith('process ') && s.name.includes('campaign.command')), { what: 'the router side span' });
    const request = local.getFinishedSpans().find((s) => s.name.startsWith('request ') && s.name.includes('campaign.command'));
    expect(request?.spanContext().traceId).toBe(traceId);
    expect(processed.spanContext().traceId).toBe(traceId);
    expect(processed.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
  });
});
