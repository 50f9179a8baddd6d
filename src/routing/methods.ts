import type { RoutingMethod } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';

/**
 * Each routing method as a score (higher wins) plus the idle-time tie-break every method
 * shares. The score is also what an assignment records to explain the choice.
 */
export function score(method: RoutingMethod, agent: AgentView, skills: readonly string[], now: number): number {
  switch (method) {
    case 'longest-idle':
      return now - agent.lastActivityAt;
    case 'best-skills':
      // Mean proficiency over the required skills (all of them, when none is required).
      return skills.length > 0 ? meanOf(skills, agent.skills) : mean([...agent.skills.values()]);
    case 'most-available':
      return 1 - agent.utilization;
    case 'rotation':
      return now - agent.lastAssignedAt;
  }
}

function meanOf(skills: readonly string[], levels: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const skill of skills) total += levels.get(skill) ?? 0;
  return total / skills.length;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Whether `a` beats `b`: higher score, then idle longer, then id (stable). */
export function beats(a: { agent: AgentView; score: number }, b: { agent: AgentView; score: number }): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.agent.lastActivityAt !== b.agent.lastActivityAt) return a.agent.lastActivityAt < b.agent.lastActivityAt;
  return a.agent.id < b.agent.id;
}
