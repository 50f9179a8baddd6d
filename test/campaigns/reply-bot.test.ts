import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCampaignReplyBot } from '../../src/campaigns/index.ts';
import { CampaignResource, ConfigRegistry } from '../../src/config/index.ts';
import { subjects } from '../../src/contract/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startNatsServer, waitFor, type NatsServer } from '../support/services.ts';

/** The campaign reply bot over real NATS: anyone on the bus can publish to its subject. */
describe('campaign reply bot', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let bot: { stop(): Promise<void> };
  const warnings: string[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const config = new ConfigRegistry();
    config.apply([
      CampaignResource.parse({
        apiVersion: 'parley.dev/v1alpha1',
        kind: 'Campaign',
        metadata: { name: 'quiz', namespace: 'acme' },
        spec: { channel: 'sms', contacts: { listId: 'quiz-list' }, message: { template: 'Reply PRICE' }, replies: { keywords: [{ match: ['price'], answer: 'From $9 a month.' }] } },
      }),
    ]);
    const logger = createLogger({}, { level: 'warn', write: (line: string) => void warnings.push(line) });
    bot = startCampaignReplyBot(nc, config, logger);
    await nc.flush();
  });

  afterAll(async () => {
    await bot?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('leaves requests it cannot read unanswered, says so, and goes on answering', async () => {
    const subject = subjects.campaignReplies('acme', 'quiz');
    for (const body of ['{}', 'null', '{"message":{"text":5}}', 'not json']) nc.publish(subject, body);
    const unreadable = () => warnings.filter((w) => w.includes('unreadable campaign reply request')).length;
    await waitFor(() => (unreadable() === 4 ? true : undefined), { what: 'the four requests reported' });
    const reply = await nc.request(subject, JSON.stringify({ message: { id: 'm1', text: ' PRICE ', sentAt: new Date().toISOString() } }), { timeout: 5_000 });
    expect(reply.json()).toEqual({ action: 'reply', text: 'From $9 a month.' });
  });
});
