import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { ConfigRegistry } from '../../src/config/index.ts';
import type { Database } from '../../src/store/index.ts';
import { AgentDriver } from './agent-driver.ts';
import { acceptedAssignmentOf, conversationOfPhone } from './awaits.ts';
import { CustomerDriver } from './customer-driver.ts';
import { waitFor } from './services.ts';

/**
 * The live-configuration scenario, whatever carries the change: queue `support` of
 * `tenant` starts on best-skills, `switchToLongestIdle` changes it, and the next
 * assignment must follow the new method without a restart. Rookie is idle longest,
 * expert is the most proficient; both answer automatically.
 */
export async function expectAssignmentsFollowMethodChange(
  nc: NatsConnection,
  db: Kysely<Database>,
  config: ConfigRegistry,
  tenant: string,
  switchToLongestIdle: () => Promise<void>,
): Promise<void> {
  const rookie = new AgentDriver(nc, tenant, 'rookie');
  const expert = new AgentDriver(nc, tenant, 'expert');
  try {
    await rookie.command({ type: 'agent.configure', name: 'Rookie', skills: ['support'], proficiency: { support: 1 }, capacity: { message: 10 }, autoAccept: true });
    await expert.command({ type: 'agent.configure', name: 'Expert', skills: ['support'], proficiency: { support: 5 }, capacity: { message: 10 }, autoAccept: true });
    await rookie.presence('available');
    await expert.presence('available');

    await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000001', idType: 'phone' }).say('first');
    const first = await acceptedAssignmentOf(db, (await conversationOfPhone(db, '+33600000001')).id);
    expect(first).toMatchObject({ agent_id: 'expert', reason: { method: 'best-skills', candidates: 2, score: 5 } });

    await switchToLongestIdle();
    await waitFor(() => (config.queue(tenant, 'support')?.method === 'longest-idle' ? true : undefined), { what: 'the new method to be live' });

    // Under best-skills the expert would win again; longest-idle now picks the rookie.
    await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000002', idType: 'phone' }).say('second');
    const second = await acceptedAssignmentOf(db, (await conversationOfPhone(db, '+33600000002')).id);
    expect(second).toMatchObject({ agent_id: 'rookie', reason: { method: 'longest-idle', candidates: 2 } });
  } finally {
    rookie.stop();
    expert.stop();
  }
}
