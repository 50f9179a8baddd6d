import { describe, expect, it } from 'vitest';
import type { AgentRecord } from './agent-index.ts';
import type { AgentView } from './agent-view.ts';
import { OrderedAgents } from './ordered-agents.ts';

function record(id: string, lastActivityAt: number, score: number): AgentRecord & { score: number } {
  const view = { tenant: 'acme', id, lastActivityAt } as AgentView;
  return { key: `acme/${id}`, slot: 0, view, reserved: {}, rooms: { message: 0, sms: 0, email: 0, webchat: 0 }, meanSkill: 0, levels: new Float64Array(0), before: undefined, roomsBefore: { message: 0, sms: 0, email: 0, webchat: 0 }, score };
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
    const all = Array.from({ length: 300 }, (_, i) => record(`agent-${String(i).padStart(3, '0')}`, Math.floor(random() * 20), Math.floor(random() * 5)));
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
    }
  });
});
