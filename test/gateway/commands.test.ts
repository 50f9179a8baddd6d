import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams, subjects } from '../../src/contract/index.ts';
import { GatewayError, ParleyClient } from '../../src/gateway/index.ts';
import { waitFor } from '../support/services.ts';
import { answerNextCommand } from './fake-router.ts';
import { TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';

describe('gateway commands', () => {
  let fx: GatewayFixture;

  beforeAll(async () => {
    fx = await startFixture({ commandTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('accepts an offer once the router reports success', async () => {
    const offerId = randomUUID();
    const [accepted, command] = await Promise.all([
      fx.client('alice', 'agent').acceptOffer('alice', offerId),
      answerNextCommand(fx, TENANT, 'alice'),
    ]);
    expect(command).toMatchObject({ version: 1, type: 'offer.accept', tenant: TENANT, agentId: 'alice', offerId });
    expect(Date.parse(command.issuedAt)).not.toBeNaN();
    expect(accepted).toEqual({ commandId: command.commandId });
  });

  it('answers 409 with the router message when the offer is gone', async () => {
    const offerId = randomUUID();
    const [outcome] = await Promise.allSettled([
      fx.client('bob', 'agent').acceptOffer('bob', offerId),
      answerNextCommand(fx, TENANT, 'bob', () => ({ ok: false, code: 'offerNotFound', message: 'offer timed out' })),
    ]);
    expect(outcome.status).toBe('rejected');
    const err = (outcome as PromiseRejectedResult).reason as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 409, code: 'offerNotFound', detail: 'offer timed out' });
  });

  it('sends a message as the token agent and returns the command id as message id (201)', async () => {
    const conversationId = randomUUID();
    const res = fetch(`${fx.gateway.url}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.token('carol', 'agent')}`, 'content-type': 'application/json' },
      // tenant and agentId in the body are ignored: both come from the token.
      body: JSON.stringify({ text: 'Hello, how can I help?', tenant: 'globex', agentId: 'mallory' }),
    });
    const command = await answerNextCommand(fx, TENANT, 'carol');
    const response = await res;
    expect(response.status).toBe(201);
    const body = (await response.json()) as { messageId: string };
    expect(body).toEqual({ messageId: command.commandId });
    expect(command).toMatchObject({
      type: 'message.send',
      tenant: TENANT,
      agentId: 'carol',
      conversationId,
      text: 'Hello, how can I help?',
    });
  });

  it('lets an admin configure an agent, sets presence and rejects and closes through the router', async () => {
    const admin = fx.client('root', 'admin');
    const dave = fx.client('dave', 'agent');
    const offerId = randomUUID();
    const conversationId = randomUUID();

    const [, configure] = await Promise.all([
      admin.configureAgent('dave', { name: 'Dave', skills: ['billing', 'fr'], capacity: { message: 3, email: 1 } }),
      answerNextCommand(fx, TENANT, 'dave'),
    ]);
    expect(configure).toMatchObject({ type: 'agent.configure', name: 'Dave', skills: ['billing', 'fr'], capacity: { message: 3, email: 1 } });

    const [, presence] = await Promise.all([dave.setPresence('dave', 'available'), answerNextCommand(fx, TENANT, 'dave')]);
    expect(presence).toMatchObject({ type: 'presence.set', presence: 'available' });

    const [, reject] = await Promise.all([dave.rejectOffer('dave', offerId, 'on a break'), answerNextCommand(fx, TENANT, 'dave')]);
    expect(reject).toMatchObject({ type: 'offer.reject', offerId, reason: 'on a break' });

    const [, close] = await Promise.all([dave.closeConversation(conversationId), answerNextCommand(fx, TENANT, 'dave')]);
    expect(close).toMatchObject({ type: 'conversation.close', agentId: 'dave', conversationId });

    // A transfer's note goes with the command (trimmed); without one, the command has none.
    const [, noted] = await Promise.all([dave.transferConversation(conversationId, { agentId: 'erin' }, '  wants a refund '), answerNextCommand(fx, TENANT, 'dave')]);
    expect(noted).toMatchObject({ type: 'conversation.transfer', conversationId, to: { agentId: 'erin' }, note: 'wants a refund' });
    const [, plain] = await Promise.all([dave.transferConversation(conversationId, { queue: 'billing' }), answerNextCommand(fx, TENANT, 'dave')]);
    expect(plain).toMatchObject({ type: 'conversation.transfer', to: { queue: 'billing' } });
    expect(plain).not.toHaveProperty('note');
  });

  it('answers 400 invalidEnvelope and publishes nothing when the command breaks the contract', async () => {
    const before = await fx.commandCount();
    const admin = fx.client('root', 'admin');

    const erin = fx.client('erin', 'agent');
    const attempts: [() => Promise<unknown>, RegExp][] = [
      [() => admin.configureAgent('erin', { name: 'Erin', skills: ['Not A Skill'], capacity: {} }), /skills\.0/],
      [() => admin.configureAgent('erin', { name: 'Erin', skills: [], capacity: { message: 99 } }), /capacity\.message/],
      [() => erin.setPresence('erin', 'sleeping' as never), /presence/],
      [() => erin.acceptOffer('erin', 'not-a-uuid'), /offerId/],
      [() => erin.sendMessage(randomUUID(), {}), /needs text, attachments or content/],
      [() => erin.closeConversation('not-a-uuid'), /conversationId/],
      [() => erin.transferConversation(randomUUID(), { queue: 'billing' }, 'x'.repeat(501)), /note/],
    ];
    for (const [attempt, detail] of attempts) {
      const err = await attempt().then(
        () => expect.fail('expected a 400'),
        (e: unknown) => e as GatewayError,
      );
      expect(err).toMatchObject({ status: 400, code: 'invalidEnvelope' });
      expect(err.detail).toMatch(detail);
    }

    expect(await fx.commandCount()).toBe(before);
    expect(
      await fx.jsm.streams.getMessage(streams.commands.name, { last_by_subj: subjects.agentCommands(TENANT, 'erin') }),
    ).toBeNull();
  });

  it('answers 504 timeout when no router answers in time', async () => {
    const impatient = await fx.startGateway({ commandTimeoutMs: 300 });
    const client = new ParleyClient({ baseUrl: impatient.url, token: fx.token('frank', 'agent') });
    const started = Date.now();
    await expect(client.setPresence('frank', 'away')).rejects.toMatchObject({ status: 504, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);

    // The command was published all the same: the router may still carry it out later.
    const stored = await fx.jsm.streams.getMessage(streams.commands.name, {
      last_by_subj: subjects.agentCommands(TENANT, 'frank'),
    });
    expect(stored?.json<{ type: string }>().type).toBe('presence.set');
  });

  it('answers 503 to a command still waiting when the gateway closes', async () => {
    const closing = await fx.startGateway({ commandTimeoutMs: 60_000 });
    const client = new ParleyClient({ baseUrl: closing.url, token: fx.token('gail', 'agent') });
    // Caught right away: it may reject while close() is still being awaited.
    const pending = client.setPresence('gail', 'available').catch((err: unknown) => err);
    // Once the command is in the stream the gateway is waiting for the router's answer.
    await waitFor(
      async () =>
        (await fx.jsm.streams.getMessage(streams.commands.name, { last_by_subj: subjects.agentCommands(TENANT, 'gail') })) ??
        undefined,
      { what: 'the command to reach the stream' },
    );
    await closing.close();
    expect(await pending).toMatchObject({ status: 503, code: 'unavailable' });
  });
});
