import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentContext } from '../agent/context.ts';
import { freeCapacity } from '../agent/context.ts';

/** What the scheduler knows of an agent: a copy of the agent actor's committed state. */
export interface AgentView {
  tenant: string;
  id: string;
  available: boolean;
  skills: ReadonlySet<string>;
  free: Partial<Record<MediaType, number>>;
  lastActivityAt: number;
}

export function agentViewOf(ctx: AgentContext): AgentView {
  const free: Partial<Record<MediaType, number>> = {};
  for (const media of MediaTypes) free[media] = freeCapacity(ctx, media);
  return {
    tenant: ctx.tenant,
    id: ctx.id,
    available: ctx.presence === 'available',
    skills: new Set(ctx.skills),
    free,
    lastActivityAt: Date.parse(ctx.lastActivityAt),
  };
}
