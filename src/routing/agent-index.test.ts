import { describe, expect, it } from 'vitest';
import type { MediaType } from '../contract/index.ts';
import { AgentIndex, type AgentRecord } from './agent-index.ts';
import type { AgentBits } from './agent-bits.ts';
import type { AgentView } from './agent-view.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const SKILLS = ['a', 'b', 'c'];
const MEDIA: MediaType[] = ['message', 'email'];

const has = (bits: AgentBits, slot: number) => ((bits.words[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;

describe('AgentIndex', () => {
  it('keeps its sets, proficiency columns and orders in step with the agents, through changes of room, skills, presence and keys', () => {
    let seed = 17;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const int = (n: number) => Math.floor(random() * n);
    const index = new AgentIndex();
    const view = (i: number): AgentView => ({
      tenant: 'acme',
      id: `agent-${i}`,
      available: random() < 0.8,
      online: true,
      skills: new Map(SKILLS.filter(() => random() < 0.5).map((s) => [s, 1 + int(5)])),
      languages: new Set(),
      labels: {},
      offerable: { message: int(3), email: int(2) },
      utilization: int(4) / 4,
      lastActivityAt: t0 - int(20) * 1_000,
      lastAssignedAt: t0 - int(20) * 1_000,
    });
    const held: AgentRecord[] = [];
    for (let step = 0; step < 3_000; step++) {
      const r = random();
      const i = int(80);
      const known = index.record('acme', `agent-${i}`);
      if (r < 0.6 || !known) index.set(view(i));
      else if (r < 0.8) {
        index.hold(known, 'message');
        held.push(known);
      } else if (held.length > 0) index.release(held.splice(int(held.length), 1)[0] as AgentRecord, 'message');
      // Sets and orders made along the way are kept up to date from then on.
      if (step === 1_000) index.tenant('acme')?.floorSet(index.skillId('b'), 3);
      if (step % 700 === 0) {
        index.tenant('acme')?.order('rotation');
        index.tenant('acme')?.order('most-available');
        index.tenant('acme')?.skillOrder(index.skillId('b'));
      }
    }
    const tenant = index.tenant('acme');
    if (!tenant) throw new Error('no tenant');
    const reserved = new Map<AgentRecord, number>();
    for (const record of held) reserved.set(record, (reserved.get(record) ?? 0) + 1);
    for (const record of tenant.records) {
      const { view: v, slot } = record;
      for (const media of MEDIA) {
        const room = v.available ? (v.offerable[media] ?? 0) - (media === 'message' ? (reserved.get(record) ?? 0) : 0) : 0;
        expect(index.room(record, media), `${v.id} ${media}`).toBe(room);
        expect(has(tenant.free[media].all, slot)).toBe(room > 0);
        for (const skill of SKILLS) expect(has(tenant.withSkill(media, index.skillId(skill)), slot), `${v.id} ${media} ${skill}`).toBe(room > 0 && v.skills.has(skill));
      }
      for (const skill of SKILLS) {
        const level = tenant.levels[index.skillId(skill)]?.[slot];
        if (v.skills.has(skill)) expect(level).toBe(v.skills.get(skill));
        else expect(level === undefined || Number.isNaN(level)).toBe(true);
      }
      expect(has(tenant.floorSet(index.skillId('b'), 3) as AgentBits, slot)).toBe((v.skills.get('b') ?? 0) >= 3);
    }
    // Every agent, by its keys as they are now: higher key, then idle longer, then id.
    const byKeys = (key: (v: AgentView) => number) =>
      [...tenant.records].sort((x, y) => key(y.view) - key(x.view) || x.view.lastActivityAt - y.view.lastActivityAt || (x.view.id < y.view.id ? -1 : 1)).map((r) => r.slot);
    const slots = (order: { slots: Int32Array; length: number }) => [...order.slots.subarray(0, order.length)];
    expect(slots(tenant.order('rotation'))).toEqual(byKeys((v) => -v.lastAssignedAt));
    expect(slots(tenant.order('most-available'))).toEqual(byKeys((v) => 1 - v.utilization));
    const withB = tenant.records.filter((r) => r.view.skills.has('b'));
    expect(slots(tenant.skillOrder(index.skillId('b')))).toEqual(
      withB.sort((x, y) => (y.view.skills.get('b') ?? 0) - (x.view.skills.get('b') ?? 0) || x.view.lastActivityAt - y.view.lastActivityAt || (x.view.id < y.view.id ? -1 : 1)).map((r) => r.slot),
    );
  });
});
