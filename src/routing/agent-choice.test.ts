import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RoutingMethods, type RoutingMethod } from '../config/index.ts';
import { AgentIndex } from './agent-index.ts';
import { BEST_OF_SKILLS_COMPARED, COMPARED_ONE_BY_ONE, WALK_STEPS_PER_AGENT, chooseAgent, choosePool } from './agent-choice.ts';
import { freshPass } from './kind-pass.ts';
import type { AgentView } from './agent-view.ts';
import { requirementsOf } from './requirements.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const SKILLS = ['a', 'b', 'c', 'd'];

function agent(id: string, lastActivityAt: number, a: number, b: number): AgentView {
  return { tenant: 'acme', id, available: true, online: true, skills: new Map([['a', a], ['b', b]]), languages: new Set(), labels: {}, offerable: { message: 1 }, utilization: 0, lastActivityAt, lastAssignedAt: t0 };
}

function conversationNeeding(skills: string[]): WaitingConversation {
  return { id: 'c', tenant: 'acme', queue: 'q', skills, language: null, mediaType: 'message', priority: 0, enqueuedAt: t0, declinedBy: [], channel: 'web', channelType: 'web', customerId: 'x', customerName: undefined, alertingTimeoutMs: 30_000, ring: 0, target: null };
}

describe('chooseAgent', () => {
  it('best-skills over several skills finds the best mean even when that agent leads in no single skill', () => {
    // Read skill by skill, A and B come first and tie with X on the mean; X has waited longer than them.
    const index = new AgentIndex();
    for (const view of [agent('A', t0 - 1_000, 5, 3), agent('B', t0 - 1_000, 3, 5), agent('D', t0 - 100_000, 4, 2), agent('E', t0 - 100_000, 2, 4), agent('X', t0 - 50_000, 4, 4)]) index.set(view);
    const conversation = conversationNeeding(['a', 'b']);
    const choice = chooseAgent(index, conversation, requirementsOf(conversation, undefined, t0, () => true), 'best-skills', t0, 0);
    expect(choice.record?.view.id).toBe('X');
    expect(choice.score).toBe(4);
  });

  it('walks the indexes (and reads best-skills in step) to the agent a comparison of every agent picks', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const int = (n: number) => Math.floor(random() * n);
    const index = new AgentIndex();
    // Few distinct levels and idle times: ties everywhere, so the tie-breaks decide.
    for (let i = 0; i < 300; i++) {
      const view: AgentView = {
        tenant: 'acme',
        id: `agent-${i}`,
        available: random() < 0.9,
        online: true,
        skills: new Map(SKILLS.filter(() => random() < 0.6).map((s) => [s, 1 + int(5)])),
        languages: new Set(random() < 0.7 ? ['en'] : ['fr']),
        labels: {},
        offerable: { message: int(3) },
        utilization: int(4) / 4,
        lastActivityAt: t0 - int(5) * 1_000,
        lastAssignedAt: t0 - int(5) * 1_000,
      };
      index.set(view);
      // Some slots held by offers not answered yet.
      const record = index.record('acme', view.id);
      if (record && random() < 0.2) index.hold(record, 'message');
    }
    let compared = 0;
    for (let k = 0; k < 400; k++) {
      const conversation: WaitingConversation = {
        id: `c${k}`,
        tenant: 'acme',
        queue: 'q',
        skills: SKILLS.filter(() => random() < 0.4),
        language: random() < 0.3 ? 'fr' : null,
        mediaType: 'message',
        priority: 0,
        enqueuedAt: t0,
        declinedBy: Array.from({ length: int(4) }, () => `agent-${int(300)}`),
        channel: 'web',
        channelType: 'web',
        customerId: 'x',
        customerName: undefined,
        alertingTimeoutMs: 30_000,
        ring: 0,
        target: null,
      };
      const method = RoutingMethods[int(RoutingMethods.length)] as RoutingMethod;
      const minimum = 1 + int(3);
      const requirements = { ...requirementsOf(conversation, undefined, t0, () => true), minProficiency: () => minimum };
      const walked = chooseAgent(index, conversation, requirements, method, t0, 0);
      const scanned = choosePool(index, index.all(), conversation, requirements, method, t0);
      expect(walked.record?.view.id, `${method} ${conversation.skills.join('+')} ≥${minimum}`).toBe(scanned.record?.view.id);
      expect(walked.score).toBe(scanned.score);
      if (scanned.record) compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('gives up a walk that meets mostly agents without the skills, and compares the skilled ones: the same agent as a scan', () => {
    const index = new AgentIndex();
    // Free agents without the skill idle longest: they stay at the front of the longest-idle order.
    for (let i = 0; i < 2_000; i++) index.set({ ...agent(`plain-${i}`, t0 - 1_000_000 + i, 3, 3), skills: new Map([['a', 3]]) });
    for (let i = 0; i < 60; i++) index.set({ ...agent(`rare-${i}`, t0 - 500_000 + ((i * 7) % 60), 3, 3), skills: new Map([['rare', 2]]) });
    const conversation = conversationNeeding(['rare']);
    const requirements = requirementsOf(conversation, undefined, t0, () => true);
    // 60 skilled agents are more than are compared one by one; 2,000 agents ahead of them are more than a walk takes.
    expect(60).toBeGreaterThan(COMPARED_ONE_BY_ONE);
    expect(2_000).toBeGreaterThan(60 * WALK_STEPS_PER_AGENT);
    const walked = chooseAgent(index, conversation, requirements, 'longest-idle', t0);
    const scanned = choosePool(index, index.all(), conversation, requirements, 'longest-idle', t0);
    expect(walked.record?.view.id).toBe('rare-0');
    expect(walked).toEqual(scanned);

    // The same choices within a kind's pass, the skilled agents taken one by one: the walk's
    // limit and end follow the count as agents leave, the choices those of a scan.
    const pass = freshPass();
    for (let taken = 0; taken < 60; taken++) {
      const fresh = choosePool(index, index.all(), conversation, requirements, 'longest-idle', t0);
      const chosen = chooseAgent(index, conversation, requirements, 'longest-idle', t0, undefined, pass);
      expect(chosen.record?.view.id, `choice ${taken}`).toBe(fresh.record?.view.id);
      if (!chosen.record) break;
      index.hold(chosen.record, 'message');
    }
  });

  it.each(RoutingMethods)('%s: the choices of one kind in a pass (a walk resumed, a ranking read) take the agents fresh comparisons would, slot after slot', (method) => {
    // Every size of pool: walked (many eligible), compared (few), ranked (compared again).
    for (const skills of [[], ['a'], ['a', 'b'], ['a', 'b', 'c']]) {
      let seed = 9;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
      const int = (n: number) => Math.floor(random() * n);
      const index = new AgentIndex();
      for (let i = 0; i < 400; i++) {
        index.set({ ...agent(`agent-${i}`, t0 - int(20) * 1_000, 1 + int(5), 1 + int(5)), skills: new Map(SKILLS.filter(() => random() < 0.5).map((s) => [s, 1 + int(5)])), offerable: { message: int(3) }, utilization: int(4) / 4, lastAssignedAt: t0 - int(20) * 1_000 });
      }
      const conversation = conversationNeeding(skills);
      const requirements = requirementsOf(conversation, undefined, t0, () => true);
      const pass = freshPass();
      for (let taken = 0; ; taken++) {
        const fresh = choosePool(index, index.all(), conversation, requirements, method, t0);
        const chosen = chooseAgent(index, conversation, requirements, method, t0, undefined, pass);
        expect(chosen.record?.view.id, `${skills.join('+')} choice ${taken}`).toBe(fresh.record?.view.id);
        expect(chosen.score).toBe(fresh.score);
        if (!chosen.record) break;
        // The offer holds the slot, as within a pass.
        index.hold(chosen.record, 'message');
      }
      // The pool shrank below the size compared one by one: the kind compared again and ranked.
      expect(pass.ranked, skills.join('+')).toBeDefined();
      if (skills.length < 2) expect(pass.from).toBeDefined();
    }
  });

  it('is described with its threshold in docs/resources.md', async () => {
    const docs = (await readFile(new URL('../../docs/resources.md', import.meta.url), 'utf8')).replace(/\s+/g, ' ');
    expect(docs).toContain(`when at most ${COMPARED_ONE_BY_ONE} agents have a free slot and every required skill at its minimum proficiency it compares those`);
    expect(docs).toContain(`more than ${WALK_STEPS_PER_AGENT} agents per skilled free agent`);
    expect(docs).toContain(`with at most ${BEST_OF_SKILLS_COMPARED.toLocaleString('en-US')} such agents`);
  });
});
