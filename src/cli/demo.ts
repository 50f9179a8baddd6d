import { randomInt, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import {
  encode,
  inboundMsgId,
  receiptMsgId,
  streams,
  subjects,
  type AgentEvent,
  type DeliveryReceipt,
  type InboundMessage,
  type OfferCreatedEvent,
  type OutboundMessage,
} from '../contract/index.ts';
import { signLocalToken } from '../auth/index.ts';
import { ParleyClient } from '../gateway/index.ts';
import { connectNats, readUpState } from '../process/index.ts';

export interface DemoOptions {
  dataDir: string;
  tenant: string;
  channel: string;
  /** Printed lines go here. @default console.log */
  print?: (line: string) => void;
}

const isOffer = (e: AgentEvent): e is OfferCreatedEvent => e.type === 'offer.created';

/**
 * Drives a running `parley up` end to end: a simulated WhatsApp customer writes (as a
 * channel adapter would, over NATS), a simulated skilled agent (over the gateway's HTTP
 * and WebSocket API) is offered the conversation, accepts, reads the history and replies;
 * the reply is read back from the outbound stream, as the adapter would deliver it.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { tenant, channel } = options;
  const state = await readUpState(resolve(options.dataDir));
  let started = performance.now();
  const lines: string[] = [];
  const mark = (who: string, what: string) => lines.push(`  +${(performance.now() - started).toFixed(0).padStart(5)} ms  ${who.padEnd(22)} ${what}`);

  const agentId = 'demo-agent';
  const admin = new ParleyClient({ baseUrl: state.gatewayUrl, token: await signLocalToken(state.authSecret, { sub: 'parley-demo', tenant, role: 'admin' }) });
  const agent = new ParleyClient({ baseUrl: state.gatewayUrl, token: await signLocalToken(state.authSecret, { sub: agentId, tenant, role: 'agent' }) });
  await admin.configureAgent(agentId, { name: 'Demo Agent', skills: ['support', 'billing'], capacity: { message: 4 } });
  const events = agent.events(agentId);
  await events.opened;
  await agent.setPresence(agentId, 'available');

  const nc = await connectNats(state.natsUrl, 'parley-demo');
  const js = jetstream(nc);
  const outbound = await js.consumers.get(streams.outbound.name, { filter_subjects: subjects.outbound(tenant, channel), deliver_policy: DeliverPolicy.New });
  try {
    const phone = `+3361${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
    const inbound: InboundMessage = {
      version: 1,
      tenant,
      channel,
      messageId: `wamid.demo-${randomUUID()}`,
      timestamp: new Date().toISOString(),
      from: { id: phone, idType: 'phone', name: 'Camille (demo customer)' },
      text: 'Hi! My order #1042 has not arrived yet, can you help?',
    };
    started = performance.now();
    mark(`customer ${phone}`, `→ ${channel}: "${inbound.text}"`);
    await js.publish(subjects.inbound(tenant, channel), encode(inbound), { msgID: inboundMsgId(tenant, channel, inbound.messageId) });

    const offer = await events.next(isOffer, 15_000);
    const conversation = offer.conversationId;
    mark(`router`, `offers conversation ${conversation.slice(0, 8)} to ${agentId}`);
    await agent.acceptOffer(agentId, offer.offerId);
    mark(agentId, 'accepts the offer');
    const history = await agent.history(conversation);
    mark(agentId, `reads the history: ${history.messages.length} message(s)`);

    const text = 'Hello Camille, I am on it: your parcel left our warehouse this morning and arrives tomorrow.';
    const { messageId } = await agent.sendMessage(conversation, { text });
    mark(agentId, `replies: "${text}"`);
    const delivered = await nextOutbound(outbound, messageId);
    mark('channel adapter', `receives ${delivered.id.slice(0, 8)} on ${subjects.outbound(tenant, channel)} for ${delivered.to.id}`);

    const receipt: DeliveryReceipt = { version: 1, tenant, channel, messageId, status: 'delivered', timestamp: new Date().toISOString() };
    await js.publish(subjects.receipts(tenant, channel), encode(receipt), { msgID: receiptMsgId(messageId, 'delivered') });
    mark('channel adapter', 'reports it delivered');
    await agent.closeConversation(conversation);
    mark(agentId, 'ends the interaction (the conversation is parked for 72 h)');

    print(`Parley demo — tenant ${tenant}, channel ${channel}, gateway ${state.gatewayUrl}`);
    for (const line of lines) print(line);
  } finally {
    await events.close();
    await agent.setPresence(agentId, 'offline').catch(() => undefined);
    await nc.drain();
  }
}

async function nextOutbound(consumer: Awaited<ReturnType<ReturnType<typeof jetstream>['consumers']['get']>>, id: string): Promise<OutboundMessage> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const msg = await consumer.next({ expires: Math.max(1_000, deadline - Date.now()) });
    const message = msg?.json<OutboundMessage>();
    if (message?.id === id) return message;
  }
  throw new Error(`the reply ${id} did not reach the outbound stream within 15 s`);
}
