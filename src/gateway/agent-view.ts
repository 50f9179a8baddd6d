import { usedCapacity } from '../agent/index.ts';
import type { AgentContext } from '../agent/index.ts';
import { MediaTypes, Presences } from '../contract/index.ts';
import type { Presence } from '../contract/index.ts';
import type { AgentRow } from '../store/index.ts';
import type { AgentView } from './views.ts';

/**
 * Builds the agent's public view from its row. The truth is the agent actor's persisted
 * XState snapshot (`{ value, context, … }`); the row's `name` and `presence` columns are
 * only a fallback for a snapshot that lacks them, so a half-written or older snapshot
 * shape degrades to less detail instead of a 500.
 */
export function agentView(row: Pick<AgentRow, 'id' | 'name' | 'presence' | 'snapshot'>): AgentView {
  const ctx = contextOf(row.snapshot);
  const full: Pick<AgentContext, 'id' | 'name' | 'skills' | 'capacity' | 'presence' | 'offers' | 'active'> = {
    id: row.id,
    name: typeof ctx.name === 'string' ? ctx.name : row.name,
    skills: Array.isArray(ctx.skills) ? ctx.skills : [],
    capacity: isRecord(ctx.capacity) ? ctx.capacity : {},
    presence: asPresence(ctx.presence) ?? asPresence(row.presence) ?? 'offline',
    offers: Array.isArray(ctx.offers) ? ctx.offers : [],
    active: Array.isArray(ctx.active) ? ctx.active : [],
  };

  const capacity: AgentView['capacity'] = {};
  for (const media of MediaTypes) {
    const max = full.capacity[media] ?? 0;
    const used = usedCapacity(full, media);
    // Show every configured media type, and any that is in use without being configured
    // (capacity lowered while conversations were running) so the numbers always add up.
    if (media in full.capacity || used > 0) capacity[media] = { max, used };
  }

  return {
    id: full.id,
    name: full.name,
    skills: full.skills,
    presence: full.presence,
    presenceSince: typeof ctx.presenceSince === 'string' ? ctx.presenceSince : null,
    capacity,
    offers: full.offers,
    active: full.active,
  };
}

function contextOf(snapshot: unknown): Partial<AgentContext> {
  if (!isRecord(snapshot) || !isRecord(snapshot.context)) return {};
  return snapshot.context;
}

function asPresence(value: unknown): Presence | undefined {
  return Presences.find((p) => p === value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
