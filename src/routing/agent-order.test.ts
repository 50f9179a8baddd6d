import { describe, expect, it } from 'vitest';
import { AgentOrder, type OrderSource } from './agent-order.ts';

/** An agent as the test moves it: its key (NaN: not in the order), idle time and id. */
interface Agent {
  slot: number;
  key: number;
  idle: number;
  id: string;
}

const agent = (id: string, idle: number, key: number, slot: number): Agent => ({ slot, key, idle, id });

/** A tenant of these agents, read as `TenantAgents` gives them: columns by slot, ranks by id. */
function source(agents: Agent[]): OrderSource {
  return {
    get size() {
      return agents.length;
    },
    keys: () => Float64Array.from(agents, (a) => a.key),
    idleSince: () => Float64Array.from(agents, (a) => a.idle),
    idRanks: () => {
      const ranks = new Int32Array(agents.length);
      [...agents].sort((a, b) => (a.id < b.id ? -1 : 1)).forEach((a, i) => (ranks[a.slot] = i));
      return ranks;
    },
  };
}

/** The order a sort of the agents in it, by the keys they have now, gives. */
function expected(agents: Agent[]): number[] {
  return agents
    .filter((a) => !Number.isNaN(a.key))
    .sort((a, b) => b.key - a.key || a.idle - b.idle || (a.id < b.id ? -1 : 1))
    .map((a) => a.slot);
}

function slots(order: AgentOrder): number[] {
  const walk = order.walkOrder();
  return [...walk.slots.subarray(0, walk.length)];
}

function positionsAgree(order: AgentOrder): void {
  const walk = order.walkOrder();
  for (let i = 0; i < walk.length; i++) expect(walk.positions[walk.slots[i] as number]).toBe(i);
}

describe('AgentOrder', () => {
  it('orders by higher key, then idle longer, then id; places touched agents again by their new keys (one or many), and drops those no longer in it', () => {
    let seed = 9;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const all = Array.from({ length: 300 }, (_, i) => agent(`agent-${String(i).padStart(3, '0')}`, Math.floor(random() * 20), Math.floor(random() * 5), i));
    const order = new AgentOrder(source(all), 0);
    for (const a of all) order.touch(a.slot);
    expect(slots(order)).toEqual(expected(all));
    for (let round = 0; round < 40; round++) {
      // Rounds alternate between a few agents changed and many.
      const changes = round % 2 === 0 ? 3 : 120;
      for (let k = 0; k < changes; k++) {
        const a = all[Math.floor(random() * all.length)] as Agent;
        a.key = random() < 0.2 ? NaN : Math.floor(random() * 5);
        a.idle = Math.floor(random() * 20);
        order.touch(a.slot);
        // Touched again before the next read: placed once, by the keys it has then.
        if (random() < 0.3) order.touch(a.slot);
      }
      expect(slots(order)).toEqual(expected(all));
      positionsAgree(order);
    }
  });

  it('keeps the slots (and their version) while nothing is touched: a position kept from a walk stays valid', () => {
    const all = Array.from({ length: 100 }, (_, i) => agent(`agent-${String(i).padStart(3, '0')}`, i % 7, i % 5, i));
    const order = new AgentOrder(source(all), 0);
    for (const a of all) order.touch(a.slot);
    const version = order.walkOrder().version;
    expect(order.walkOrder().version).toBe(version);
    // An agent whose keys did not change, touched: placed where it was, but written again.
    order.touch(5);
    expect(slots(order)).toEqual(expected(all));
    expect(order.walkOrder().version).toBeGreaterThan(version);
  });

  it('takes in agents that joined after it was built, ranked by id among the others', () => {
    const all = [agent('b', 1, 1, 0), agent('d', 1, 1, 1)];
    const order = new AgentOrder(source(all), 0);
    for (const a of all) order.touch(a.slot);
    expect(slots(order)).toEqual([0, 1]);
    all.push(agent('a', 1, 1, 2), agent('c', 1, 1, 3));
    order.touch(2);
    order.touch(3);
    expect(slots(order)).toEqual([2, 0, 3, 1]);
    positionsAgree(order);
  });
});
