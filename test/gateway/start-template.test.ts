import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelService } from '../../src/channel-service/index.ts';
import type { Gateway, Role } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, queue, startParley, type RunningParley } from '../support/parley.ts';
import type { ProviderFake } from '../support/provider-fakes/provider-fake.ts';
import { PHONE_NUMBER_ID, startWhatsAppFake } from '../support/whatsapp-channel.ts';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';

/**
 * `POST /v1/conversations` with a WhatsApp template, against a real router and the channels
 * role sending to a fake Cloud API: the only start allowed outside the 24 h window.
 */
describe('an agent starts a WhatsApp conversation with an approved template', () => {
  let fx: GatewayFixture;
  let parley: RunningParley;
  let gateway: Gateway;
  let fake: ProviderFake;
  let channels: ChannelService;
  let ana: AgentDriver;

  const orderReady = { name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, your order {{2}} is ready for pickup.' };
  const welcome = { name: 'welcome_back', language: 'fr', label: 'Bon retour', body: 'Bonjour, nous avons une réponse à votre question.' };

  beforeAll(async () => {
    fx = await startFixture();
    const whatsapp = await startWhatsAppFake(TENANT);
    fake = whatsapp.fake;
    parley = await startParley(fx.services.natsUrl, fx.services.databaseUrl, [
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support', provider: whatsapp.provider, whatsapp: { templates: [orderReady, welcome] } }),
      channel(TENANT, 'sms', { type: 'sms', queue: 'support' }),
      queue(TENANT, 'support'),
      // Another tenant's WhatsApp channel of the same name, without these templates.
      channel(OTHER_TENANT, 'whatsapp', { type: 'whatsapp', queue: 'secret' }),
      queue(OTHER_TENANT, 'secret'),
    ]);
    channels = await whatsapp.startChannels(parley);
    gateway = await fx.startGateway({ config: parley.config, commandTimeoutMs: 10_000, logger: createLogger({}, { level: 'warn' }) });
    ana = new AgentDriver(parley.nc, TENANT, 'ana');
    await ana.configure([], { sms: 1, message: 3 });
    await ana.presence('available');
  });

  afterAll(async () => {
    ana?.stop();
    await channels?.close();
    await parley?.stop();
    await fx?.stop();
    await fake?.close();
  });

  const start = async (body: Record<string, unknown>, sub = 'ana', role: Role = 'agent', tenant = TENANT) => {
    const res = await fetch(`${gateway.url}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.token(sub, role, tenant)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('lists the channel’s templates with their parameter count (GET /v1/channels)', async () => {
    const res = await fetch(`${gateway.url}/v1/channels`, { headers: { authorization: `Bearer ${fx.token('ana', 'agent')}` } });
    expect(await res.json()).toEqual({
      channels: [
        { name: 'sms', type: 'sms', queue: 'support' },
        { name: 'whatsapp', type: 'whatsapp', queue: 'support', templates: [{ ...orderReady, parameterCount: 2 }, { ...welcome, parameterCount: 0 }] },
      ],
    });
  });

  it('outside the window free text is refused, a template goes to WhatsApp as the Cloud API takes it, and the history shows the filled-in body', async () => {
    const to = { id: '+33612000100', idType: 'phone' };
    // The customer never wrote: the window is not open.
    expect(await start({ channel: 'whatsapp', to, text: 'Hello' })).toMatchObject({ status: 422, body: { type: 'outsideWindow' } });

    const calls = fake.calls.length;
    const { status, body } = await start({ channel: 'whatsapp', to, template: { name: 'order_ready', language: 'en_US', parameters: ['Ana', 'A-1042'] } });
    expect(status).toBe(201);
    const conversationId = body.conversationId as string;
    const [call] = (await fake.received(calls + 1)).slice(calls);
    expect(call?.path).toBe(`/v23.0/${PHONE_NUMBER_ID}/messages`);
    expect(call?.parsed).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+33612000100',
      type: 'template',
      template: {
        name: 'order_ready',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'A-1042' }] }],
      },
      biz_opaque_callback_data: body.messageId,
    });

    // In the agent's hands, and the history holds what the customer read.
    await ana.next('conversation.assigned', (e) => e.conversationId === conversationId);
    const read = await fetch(`${gateway.url}/v1/conversations/${conversationId}/history`, { headers: { authorization: `Bearer ${fx.token('ana', 'agent')}` } });
    const history = (await read.json()) as { messages: { direction: string; text?: string }[] };
    expect(history.messages.map((m) => [m.direction, m.text])).toEqual([['outbound', 'Hello Ana, your order A-1042 is ready for pickup.']]);
  });

  it('a template without parameters sends no components', async () => {
    const calls = fake.calls.length;
    const { status } = await start({ channel: 'whatsapp', to: { id: '+33612000101', idType: 'phone' }, template: { name: 'welcome_back', language: 'fr' } });
    expect(status).toBe(201);
    const [call] = (await fake.received(calls + 1)).slice(calls);
    expect((call?.parsed as { template: unknown }).template).toEqual({ name: 'welcome_back', language: { code: 'fr' } });
  });

  it('refuses an unknown template, a wrong parameter count, a template on SMS, and text with a template, each with its code', async () => {
    const to = { id: '+33612000102', idType: 'phone' };
    const template = (more: Record<string, unknown>) => ({ name: 'order_ready', language: 'en_US', parameters: ['Ana', 'A-1'], ...more });
    expect(await start({ channel: 'whatsapp', to, template: template({ name: 'nope' }) })).toMatchObject({ status: 422, body: { type: 'unknownTemplate' } });
    // Approved in English only.
    expect(await start({ channel: 'whatsapp', to, template: template({ language: 'fr' }) })).toMatchObject({ status: 422, body: { type: 'unknownTemplate' } });
    expect(await start({ channel: 'whatsapp', to, template: template({ parameters: ['Ana'] }) })).toMatchObject({
      status: 422,
      body: { type: 'invalidTemplateParameters', detail: 'template order_ready takes 2 parameters, not 1' },
    });
    expect(await start({ channel: 'whatsapp', to, template: template({ parameters: ['Ana', 'A-1', 'extra'] }) })).toMatchObject({ status: 422, body: { type: 'invalidTemplateParameters' } });
    expect(await start({ channel: 'sms', to, template: template({}) })).toMatchObject({ status: 422, body: { type: 'templateNotSupported' } });
    expect(await start({ channel: 'whatsapp', to, text: 'Hi', template: template({}) })).toMatchObject({ status: 400, body: { type: 'invalidEnvelope' } });
    expect(await start({ channel: 'whatsapp', to, template: template({ parameters: ['Ana\nline two', 'A-1'] }) })).toMatchObject({ status: 400, body: { type: 'invalidEnvelope' } });
    expect(await parley.store.db.selectFrom('conversations').select('id').where('external_id', '=', 'phone:+33612000102').execute()).toEqual([]);
  });

  it('another tenant’s channel of the same name has none of these templates', async () => {
    const zoe = new AgentDriver(parley.nc, OTHER_TENANT, 'zoe');
    await zoe.configure([], { message: 1 });
    zoe.stop();
    const theirs = await start({ channel: 'whatsapp', to: { id: '+33612000103', idType: 'phone' }, template: { name: 'order_ready', language: 'en_US', parameters: ['A', 'B'] } }, 'zoe', 'agent', OTHER_TENANT);
    expect(theirs).toMatchObject({ status: 422, body: { type: 'unknownTemplate' } });
    const listed = await fetch(`${gateway.url}/v1/channels`, { headers: { authorization: `Bearer ${fx.token('zoe', 'agent', OTHER_TENANT)}` } });
    expect(await listed.json()).toEqual({ channels: [{ name: 'whatsapp', type: 'whatsapp', queue: 'secret', templates: [] }] });
  });
});
