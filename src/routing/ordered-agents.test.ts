import { describe, expect, it } from 'vitest';
import type { AgentRecord } from './agent-index.ts';
import type { AgentView } from './agent-view.ts';
import { OrderedAgents } from './ordered-agents.ts';

function record(id: string, lastActivityAt: number, score: number, slot = 0): AgentRecord & { score: number } {
  const view = { tenant: 'acme', id, lastActivityAt } as AgentView;
  return { key: `acme/${id}`, slot, view, reserved: {}, rooms: { message: 0, sms: 0, email: 0, webchat: 0 }, meanSkill: 0, levels: new Float64Array(0), before: undefined, roomsBefore: { message: 0, sms: 0, email: 0, webchat: 0 }, score };
}

describe('OrderedAgents', () => {
  it('keeps agents by the keys they were placed with: higher score, then idle longer, then id; one taken out is found even after its view changed', () => {
    let seed = 3;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const ordered = new OrderedAgents((r) => (r as ReturnType<typeof record>).score);
    /** The model: each placed agent with the keys it had when placed. */
    const placed = new Map<AgentRecord, { score: number; idle: number; id: string }>();
    const all = Array.from({ length: 200 }, (_, i) => record(`agent-${String(i).padStart(3, '0')}`, Math.floor(random() * 20), Math.floor(random() * 5)));
    for (let step = 0; step < 3_000; step++) {
      const r = all[Math.floor(random() * all.length)] as ReturnType<typeof record>;
      const roll = random();
      if (roll < 0.5) {
        ordered.add(r);
        if (!placed.has(r)) placed.set(r, { score: r.score, idle: r.view.lastActivityAt, id: r.view.id });
      } else if (roll < 0.8) {
        expect(ordered.remove(r)).toBe(placed.delete(r));
      } else {
        // Its keys change while it is placed: the order keeps it where it went in until the index moves it.
        r.score = Math.floor(random() * 5);
        r.view = { ...r.view, lastActivityAt: Math.floor(random() * 20) };
      }
      expect(ordered.size).toBe(placed.size);
    }
    const expected = [...placed].sort(([, a], [, b]) => b.score - a.score || a.idle - b.idle || (a.id < b.id ? -1 : 1)).map(([r]) => r);
    const walked: AgentRecord[] = [];
    const cursor = ordered.cursor();
    for (let r = cursor.next(); r; r = cursor.next()) walked.push(r);
    expect(walked).toEqual(expected);
  });

  it('places again the agents replaced, by their new keys, once read: one by one when few, in one merge when many; those that no longer belong leave', () => {
    let seed = 9;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const out = new Set<AgentRecord>();
    const ordered = new OrderedAgents(
      (r) => (r as ReturnType<typeof record>).score,
      (r) => !out.has(r),
    );
    const all = Array.from({ length: 300 }, (_, i) => record(`agent-${String(i).padStart(3, '0')}`, Math.floor(random() * 20), Math.floor(random() * 5), i));
    ordered.load(all);
    const keys = (r: ReturnType<typeof record>) => ({ score: r.score, idle: r.view.lastActivityAt, id: r.view.id });
    const placed = new Map(all.map((r) => [r as AgentRecord, keys(r)]));
    for (let round = 0; round < 40; round++) {
      // Rounds alternate between a few replaced (one by one) and many (a merge).
      const changes = round % 2 === 0 ? 3 : 120;
      for (let k = 0; k < changes; k++) {
        const r = all[Math.floor(random() * all.length)] as ReturnType<typeof record>;
        r.score = Math.floor(random() * 5);
        r.view = { ...r.view, lastActivityAt: Math.floor(random() * 20) };
        if (random() < 0.2) out.add(r);
        else out.delete(r);
        ordered.replace(r);
        if (out.has(r)) placed.delete(r);
        else placed.set(r, keys(r));
      }
      const expected = [...placed].sort(([, a], [, b]) => b.score - a.score || a.idle - b.idle || (a.id < b.id ? -1 : 1)).map(([r]) => r);
      const walked: AgentRecord[] = [];
      const cursor = ordered.cursor();
      for (let r = cursor.next(); r; r = cursor.next()) walked.push(r);
      expect(walked).toEqual(expected);
      expect(ordered.size).toBe(placed.size);
      expect(walkedSlots(ordered)).toEqual(expected.map((r) => r.slot));
    }
  });

  it('gives a walk the slots in order, kept as they were when agents are taken out (skipped by their listed bit) and written again when one is placed', () => {
    const all = Array.from({ length: 100 }, (_, i) => record(`agent-${String(i).padStart(3, '0')}`, i % 7, i % 5, i));
    const ordered = new OrderedAgents((r) => (r as ReturnType<typeof record>).score);
    ordered.load(all);
    const first = ordered.walkOrder();
    const version = first.version;
    const expected = [...all].sort((a, b) => b.score - a.score || a.view.lastActivityAt - b.view.lastActivityAt || (a.view.id < b.view.id ? -1 : 1));
    expect([...first.slots.subarray(0, first.length)]).toEqual(expected.map((r) => r.slot));
    // Taken out: the slots stay (a walk's position in them stays valid), the listed bits say who is gone.
    for (const r of all.slice(0, 30)) ordered.remove(r);
    expect(ordered.walkOrder().version).toBe(version);
    expect(ordered.walkOrder().length).toBe(100);
    expect(walkedSlots(ordered)).toEqual(expected.filter((r) => !all.slice(0, 30).includes(r)).map((r) => r.slot));
    // Placed again: written again, in order.
    ordered.add(all[3] as AgentRecord);
    expect(ordered.walkOrder().version).toBeGreaterThan(version);
    expect(ordered.walkOrder().length).toBe(71);
    expect(walkedSlots(ordered)).toEqual(expected.filter((r) => r === all[3] || !all.slice(0, 30).includes(r)).map((r) => r.slot));
  });
});

/** The slots a walk meets that are still placed (what `chooseAgent` reads). */
function walkedSlots(ordered: OrderedAgents): number[] {
  const { slots, length } = ordered.walkOrder();
  const met: number[] = [];
  for (let i = 0; i < length; i++) {
    const slot = slots[i] as number;
    if (((ordered.listed.words[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0) met.push(slot);
  }
  return met;
}
