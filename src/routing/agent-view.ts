import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentContext } from '../agent/index.ts';
import { DEFAULT_PROFICIENCY, offerableCapacity, utilization } from '../agent/index.ts';

/** What the scheduler knows of an agent: a copy of the agent actor's committed state. */
export interface AgentView {
  tenant: string;
  id: string;
  available: boolean;
  /** Not offline (away counts as online: a wait for this agent goes on). */
  online: boolean;
  /** Skill → proficiency (1–5). */
  skills: ReadonlyMap<string, number>;
  languages: ReadonlySet<string>;
  labels: Readonly<Record<string, string>>;
  /** Conversations of each media type it can be offered now (free slots, interruptible rules). */
  offerable: Partial<Record<MediaType, number>>;
  /** Share of its slots in use (0–1). */
  utilization: number;
  lastActivityAt: number;
  lastAssignedAt: number;
}

export function agentViewOf(ctx: AgentContext): AgentView {
  const offerable: Partial<Record<MediaType, number>> = {};
  for (const media of MediaTypes) offerable[media] = offerableCapacity(ctx, media);
  return {
    tenant: ctx.tenant,
    id: ctx.id,
    available: ctx.presence === 'available',
    online: ctx.presence !== 'offline',
    skills: new Map(ctx.skills.map((s) => [s, ctx.proficiency[s] ?? DEFAULT_PROFICIENCY])),
    languages: new Set(ctx.languages),
    labels: ctx.labels,
    offerable,
    utilization: utilization(ctx),
    lastActivityAt: Date.parse(ctx.lastActivityAt),
    lastAssignedAt: Date.parse(ctx.lastAssignedAt),
  };
}

/**
 * An `AgentView` as JSON carries it (the routers' state feed): skills and languages as a
 * plain object and a list. A few hundred bytes whatever the agent's load, where its
 * context lists every conversation it holds.
 */
export interface AgentViewJson {
  tenant: string;
  id: string;
  available: boolean;
  online: boolean;
  skills: Record<string, number>;
  languages: string[];
  labels: Record<string, string>;
  offerable: Partial<Record<MediaType, number>>;
  utilization: number;
  lastActivityAt: number;
  lastAssignedAt: number;
}

export function agentViewJson(view: AgentView): AgentViewJson {
  return { ...view, skills: Object.fromEntries(view.skills), languages: [...view.languages] };
}

export function agentViewOfJson(json: AgentViewJson): AgentView {
  return { ...json, skills: new Map(Object.entries(json.skills)), languages: new Set(json.languages) };
}
