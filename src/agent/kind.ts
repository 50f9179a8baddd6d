import type { AnyMachineSnapshot } from 'xstate';
import type { AgentRow } from '../store/index.ts';
import { agentSaves, openActor, openOrigin } from '../store/index.ts';
import { agentPartitionKey, partitionOf } from '../partition/index.ts';
import { pureInitialTransition, type ActorKind } from '../runtime/index.ts';
import type { AgentContext } from './context.ts';
import type { AgentActorEvent } from './events.ts';
import { agentMachine } from './machine.ts';

/** The agent actor kind: partitioned by its id's hash; created by its first `agent.configure`. */
export const agentKind: ActorKind = {
  kind: 'agent',
  machine: agentMachine,
  partitionOf: (tenant, id, partitions) => partitionOf(agentPartitionKey(tenant, id), partitions),
  load: (tx, request) => openActor<AgentRow>(tx, { ...request, kind: 'agent' }),
  checkOrigin: (tx, request) => openOrigin(tx, { ...request, kind: 'agent' }),
  createdBy(target) {
    const event = target.event as AgentActorEvent;
    if (event.type !== 'agent.configure') return undefined;
    const [snapshot] = pureInitialTransition(agentMachine, { tenant: target.tenant, id: target.id, at: event.at });
    return snapshot;
  },
  // An upsert: the first configure inserts the agent.
  write(writes, next: AnyMachineSnapshot, partition) {
    const ctx = next.context as AgentContext;
    writes.saveAgent({ tenant: ctx.tenant, id: ctx.id, name: ctx.name, presence: ctx.presence, partition, snapshot: agentMachine.getPersistedSnapshot(next as never) });
  },
  // No trigger or lookup reads an agent's row between steps: many offers to one agent in a batch write its row once.
  lastStateOnly: true,
  // Its steps write its row, its timers and its offers; a conversation's step writes none
  // of them, save the wrap-up code of an assignment that has ended. So an offer does not
  // wait for a bulk of customer messages that holds the agent's partition.
  apart: true,
  save: (steps) =>
    agentSaves(
      steps.map(({ next, snapshot, version }) => {
        const ctx = next.context as AgentContext;
        return { tenant: ctx.tenant, id: ctx.id, version, name: ctx.name, presence: ctx.presence, snapshot };
      }),
    ),
};
