import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';

const key = (tenant: string, id: string) => `${tenant}/${id}`;

/**
 * The agents a scheduler knows, indexed so that finding candidates for a conversation
 * does not scan every agent: by skill, and by media type among the agents available
 * with a free slot for it. Candidates come from the smallest matching set.
 */
export class AgentIndex {
  private readonly views = new Map<string, AgentView>();
  private readonly bySkill = new Map<string, Set<AgentView>>();
  private readonly offerable = new Map<string, Set<AgentView>>();

  get(tenant: string, id: string): AgentView | undefined {
    return this.views.get(key(tenant, id));
  }

  set(view: AgentView): void {
    const id = key(view.tenant, view.id);
    const old = this.views.get(id);
    if (old) this.unindex(old);
    this.views.set(id, view);
    for (const skill of view.skills.keys()) add(this.bySkill, `${view.tenant}|${skill}`, view);
    if (view.available) {
      for (const media of MediaTypes) if ((view.offerable[media] ?? 0) > 0) add(this.offerable, `${view.tenant}|${media}`, view);
    }
  }

  /** Agents available with a free slot for this media type. */
  offerableFor(tenant: string, media: MediaType): ReadonlySet<AgentView> {
    return this.offerable.get(`${tenant}|${media}`) ?? empty;
  }

  /**
   * The smallest set that every candidate must belong to: the agents available for the
   * media type, or those with one of the required skills, whichever is smaller.
   */
  candidates(tenant: string, media: MediaType, skills: readonly string[]): ReadonlySet<AgentView> {
    let best = this.offerableFor(tenant, media);
    for (const skill of skills) {
      const withSkill = this.bySkill.get(`${tenant}|${skill}`) ?? empty;
      if (withSkill.size < best.size) best = withSkill;
    }
    return best;
  }

  /**
   * The agent has no room left for this media type in the current pass (offers it has not
   * answered yet): leave it out of the candidates until its next committed state.
   */
  exhaust(view: AgentView, media: MediaType): void {
    remove(this.offerable, `${view.tenant}|${media}`, view);
  }

  all(): IterableIterator<AgentView> {
    return this.views.values();
  }

  private unindex(view: AgentView): void {
    for (const skill of view.skills.keys()) remove(this.bySkill, `${view.tenant}|${skill}`, view);
    for (const media of MediaTypes) remove(this.offerable, `${view.tenant}|${media}`, view);
  }
}

const empty: ReadonlySet<AgentView> = new Set();

function add(map: Map<string, Set<AgentView>>, k: string, view: AgentView): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = new Set()));
  set.add(view);
}

function remove(map: Map<string, Set<AgentView>>, k: string, view: AgentView): void {
  const set = map.get(k);
  if (!set) return;
  set.delete(view);
  if (set.size === 0) map.delete(k);
}
