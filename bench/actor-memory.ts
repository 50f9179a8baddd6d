import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createActor, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { ConversationActorEvent } from '../src/conversation/index.ts';
import { conversationMachine, DEFAULT_POLICY } from '../src/conversation/index.ts';
import { agentMachine, type AgentActorEvent } from '../src/agent/index.ts';
import { ActorCache, actorKey, type PersistedState } from '../src/runtime/index.ts';

/**
 * Memory per active actor, as a router keeps it: each conversation (connected to an
 * agent after five customer messages, a typical active one) and each agent (configured,
 * available, five conversations accepted) is put in an `ActorCache` the way the host puts
 * it after a commit (its persisted state, which the cache keeps as shaped JSON text). The
 * baseline, in the same run: the same snapshots held as started XState actors, what a
 * runtime keeping live actor objects would hold. Heap is measured after a forced GC,
 * before and after filling.
 */
const CONVERSATIONS = 50_000;
const AGENTS = 5_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function usedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function activeConversation(i: number): AnyMachineSnapshot {
  const id = randomUUID();
  const at = new Date(Date.UTC(2026, 11, 4, 10, 0, i % 60)).toISOString();
  let [snapshot] = initialTransition(conversationMachine, {
    id,
    tenant: 'acme',
    channel: 'whatsapp',
    channelType: 'whatsapp',
    mediaType: 'message',
    customerId: randomUUID(),
    customer: { id: `+3361${String(i).padStart(7, '0')}`, idType: 'phone' },
    queue: 'support',
    skills: ['support', 'french'],
    language: 'fr',
    priority: 0,
    preferredAgents: [],
    threadingWindowMs: 72 * 3_600_000,
    policy: DEFAULT_POLICY,
    bot: null,
    attributes: {},
    lastMessageAt: at,
  }) as [AnyMachineSnapshot, unknown];
  const agentId = `agent-${i % AGENTS}`;
  const events: ConversationActorEvent[] = [
    { type: 'customer.message', at, message: { id: randomUUID(), conversationId: id, direction: 'inbound', channel: 'whatsapp', text: 'Bonjour', sentAt: at } },
    { type: 'offer.reserved', at, offerId: randomUUID(), agentId },
  ];
  const offerId = (events[1] as { offerId: string }).offerId;
  events.push({ type: 'offer.accepted', at, offerId, agentId, commandId: randomUUID() });
  for (let m = 0; m < 4; m++) {
    events.push({ type: 'customer.message', at, message: { id: randomUUID(), conversationId: id, direction: 'inbound', channel: 'whatsapp', text: `message ${m}`, sentAt: at } });
  }
  for (const event of events) [snapshot] = transition(conversationMachine, snapshot, event) as [AnyMachineSnapshot, unknown];
  return snapshot;
}

function activeAgent(i: number): AnyMachineSnapshot {
  const at = '2026-12-04T10:00:00.000Z';
  let [snapshot] = initialTransition(agentMachine, { tenant: 'acme', id: `agent-${i}`, at }) as [AnyMachineSnapshot, unknown];
  const events: AgentActorEvent[] = [
    { type: 'agent.configure', at, commandId: randomUUID(), name: `Agent ${i}`, skills: ['support', 'french'], capacity: { message: 5 } },
    { type: 'presence.set', at, commandId: randomUUID(), presence: 'available' },
  ];
  for (let c = 0; c < 5; c++) {
    const conversationId = randomUUID();
    events.push({ type: 'assignment.take', at, conversationId, assignmentId: randomUUID(), mediaType: 'message', queue: null });
  }
  for (const event of events) [snapshot] = transition(agentMachine, snapshot, event) as [AnyMachineSnapshot, unknown];
  return snapshot;
}

interface Held {
  kind: string;
  id: string;
  machine: AnyStateMachine;
  snapshot: AnyMachineSnapshot;
}

/** Bytes per actor of one way of holding them. */
function measure(actors: Held[], hold: (actor: Held) => unknown): { bytesPerActor: number } {
  const kept: unknown[] = new Array(actors.length);
  const before = usedHeap();
  for (let i = 0; i < actors.length; i++) kept[i] = hold(actors[i] as Held);
  const after = usedHeap();
  // `kept` stays reachable until here.
  if (kept.length !== actors.length) throw new Error('lost actors');
  return { bytesPerActor: Math.round((after - before) / actors.length) };
}

export function runActorMemoryBenchmark() {
  const conversations: Held[] = Array.from({ length: CONVERSATIONS }, (_, i) => {
    const snapshot = activeConversation(i);
    return { kind: 'conversation', id: (snapshot.context as { id: string }).id, machine: conversationMachine, snapshot };
  });
  const agents: Held[] = Array.from({ length: AGENTS }, (_, i) => ({ kind: 'agent', id: `agent-${i}`, machine: agentMachine, snapshot: activeAgent(i) }));
  const results: Record<string, unknown> = {};
  for (const [name, actors] of [['conversation', conversations], ['agent', agents]] as const) {
    // Made as the host makes them: the state the cache is given, and the JSON the row gets (for comparison).
    const persisted = actors.map((a) => a.machine.getPersistedSnapshot(a.snapshot) as unknown as PersistedState);
    const jsonBytes = Math.round(persisted.reduce((sum, p) => sum + JSON.stringify(p).length, 0) / persisted.length);
    const cache = new ActorCache({ idleMs: 300_000, maxActors: 1_000_000 });
    let version = 0;
    // The cache makes and keeps its text within the measure: it is counted as it is held.
    const cached = measure(actors, (a) => {
      const { value, context } = persisted[version] as PersistedState;
      cache.put(actorKey(a.kind, 'acme', a.id), 0, 1, { tenant: 'acme', state: { value, context }, version: version++ });
      return undefined;
    });
    const started: { stop(): void }[] = [];
    const live = measure(actors, (a) => started.push(createActor(a.machine, { snapshot: a.snapshot, input: undefined }).start()));
    for (const actor of started) actor.stop();
    results[name] = {
      actors: actors.length,
      snapshotJsonBytes: jsonBytes,
      cachedBytesPerActor: cached.bytesPerActor,
      liveXStateActorBytesPerActor: live.bytesPerActor,
    };
    console.error(`${name}: ${JSON.stringify(results[name])}`);
  }
  return {
    benchmark: 'actor-memory',
    config: { conversations: CONVERSATIONS, agents: AGENTS, conversationShape: 'connected to an agent after 5 customer messages', agentShape: 'available, 5 conversations taken' },
    ...results,
    baseline: 'liveXStateActorBytesPerActor: the same snapshots held as started XState actors (createActor(...).start()), in the same run',
    note: 'cachedBytesPerActor: heap after minus before filling an ActorCache (forced GC each side), per actor, the text it makes of each state included; snapshotJsonBytes: the JSON of the persisted snapshot the row gets, for comparison.',
  };
}
