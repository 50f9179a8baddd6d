import type { MediaType } from '../contract/index.ts';
import type { QueueConfig, RoutingMethod } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import type { CompiledRequirements } from './compiled-requirements.ts';
import { qualifies } from './eligibility.ts';
import { KindPass } from './kind-pass.ts';
import { KindTable, type Kind } from './kind-table.ts';
import type { Requirements } from './requirements.ts';
import { SortedList } from './sorted-list.ts';
import { rankOf } from './urgency.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { tenantMedia } from './pair-key.ts';

export type { Kind } from './kind-table.ts';

/**
 * The waiting conversations of one kind, in one list in serving order by a key fixed for
 * each conversation's wait (`rankOf`): time moves urgency but never this order, so
 * nothing is re-sorted and the head is always the most urgent.
 */
export interface Bucket {
  readonly kind: Kind;
  readonly requirements: Requirements;
  readonly list: SortedList<Listed>;
  size: number;
}

/**
 * A waiting conversation as the scheduler keeps it, one object for its whole wait: the
 * waiting list writes its kind and its place on it, so neither is looked up by id.
 */
export interface Listed {
  /** The current version (replaced only while it is out of its bucket). */
  conversation: WaitingConversation;
  /** Its kind, found once per version (`undefined`: not yet, or the version changed what routing reads). */
  kind: Kind | undefined;
  /** The bucket it waits in, if any. */
  bucket: Bucket | undefined;
  /** Its rank in the bucket (computed when placed: it never changes while there). */
  rank: number;
}

/** Serving order within a queue: higher rank, then waiting longer, then by id. */
function byRank(a: Listed, b: Listed): number {
  if (a.rank !== b.rank) return a.rank > b.rank ? -1 : 1;
  const x = a.conversation;
  const y = b.conversation;
  return x.enqueuedAt - y.enqueuedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

/**
 * The waiting conversations already decided (no offer in flight, nobody eligible with a
 * free slot when last decided, not waiting for particular agents), in buckets. The
 * buckets of a tenant and media type are found by their required skills, so an agent
 * that gained room reads only the buckets whose skills it has, not every conversation.
 */
export class WaitingList {
  private readonly kinds = new KindTable();
  private starved: Kind[] = [];
  /** Kinds whose choices were made in this pass. */
  private walked: Kind[] = [];
  /** `tenant|media` → required skills (sorted, joined) → buckets; and the largest number of skills required there. */
  private readonly bySkills = new Map<string, { sets: Map<string, Set<Bucket>>; widest: number }>();

  /**
   * @param queueOf what kinds read of the queue's configuration: the requirements of a conversation (its target aside), compiled, the method and the aging
   */
  constructor(
    private readonly queueOf: (conversation: WaitingConversation) => {
      requirements: Requirements;
      compiled: CompiledRequirements;
      method: RoutingMethod;
      aging: QueueConfig['aging'] | undefined;
    },
  ) {}

  /** What conversations like this one need (its target aside). */
  kindOf(item: Listed): Kind {
    const known = item.kind;
    if (known && !known.forgotten) return known;
    const { conversation } = item;
    let kind = this.kinds.find(conversation);
    if (!kind) {
      const { requirements, compiled, method, aging } = this.queueOf(conversation);
      kind = {
        tenant: conversation.tenant,
        queue: conversation.queue,
        media: conversation.mediaType,
        requirements,
        compiled,
        method,
        aging,
        skillsKey: skillsKey(requirements.skills),
        starved: false,
        forgotten: false,
        pass: new KindPass(),
        bucket: undefined,
      };
      this.kinds.add(conversation, kind);
    }
    item.kind = kind;
    return kind;
  }

  /** How many decided conversations of this one's kind wait already (they found nobody). */
  waitingLike(item: Listed): number {
    return this.kindOf(item).bucket?.size ?? 0;
  }

  /** The queue's configuration changed: its kinds are computed again (its buckets must be empty). */
  forgetQueue(tenant: string, queue: string): void {
    for (const kind of this.kinds.forgetQueue(tenant, queue)) kind.forgotten = true;
  }

  add(item: Listed): Bucket {
    if (item.bucket) throw new Error(`conversation ${item.conversation.id} is in a bucket already`);
    const kind = this.kindOf(item);
    let bucket = kind.bucket;
    if (!bucket) {
      bucket = { kind, requirements: kind.requirements, list: new SortedList(byRank), size: 0 };
      kind.bucket = bucket;
      const registry = this.registry(kind.tenant, kind.media);
      const set = registry.sets.get(kind.skillsKey) ?? new Set();
      registry.sets.set(kind.skillsKey, set.add(bucket));
      registry.widest = Math.max(registry.widest, kind.requirements.skills.length);
    }
    const { conversation } = item;
    item.rank = rankOf(conversation.priority, conversation.enqueuedAt, kind.aging);
    item.bucket = bucket;
    bucket.list.insert(item);
    bucket.size++;
    return bucket;
  }

  /** The end of a pass: forgets who found nobody. */
  endPass(): void {
    for (const kind of this.starved) kind.starved = false;
    this.starved = [];
    for (const kind of this.walked) kind.pass.reset();
    this.walked = [];
  }

  /** The kind will choose agents in this pass: where its walks got to is kept until the pass ends. */
  walking(kind: Kind): KindPass {
    if (!kind.pass.used) {
      kind.pass.used = true;
      this.walked.push(kind);
    }
    return kind.pass;
  }

  /** A choice for this kind found nobody: in this pass, so would the next of its conversations. */
  markStarved(kind: Kind): void {
    kind.starved = true;
    this.starved.push(kind);
  }

  delete(item: Listed): void {
    const { bucket } = item;
    if (!bucket) return;
    item.bucket = undefined;
    if (!bucket.list.delete(item)) throw new Error(`waiting list out of step for conversation ${item.conversation.id}`);
    bucket.size--;
    if (bucket.size === 0) this.drop(bucket);
  }

  private drop(bucket: Bucket): void {
    const { kind } = bucket;
    kind.bucket = undefined;
    const registry = this.registry(kind.tenant, kind.media);
    const set = registry.sets.get(kind.skillsKey);
    set?.delete(bucket);
    if (set?.size === 0) registry.sets.delete(kind.skillsKey);
  }

  /** The most urgent conversation of a bucket now: its first (see `urgencyOf` for its urgency at a time). */
  head(bucket: Bucket): Listed | undefined {
    return bucket.list.first();
  }

  /**
   * The non-empty buckets of this media type whose conversations the agent qualifies
   * for. Only the buckets whose required skills the agent has all of are read: found by
   * the subsets of its skills when they are fewer than the groups of buckets, else by
   * checking every group.
   */
  bucketsFor(agent: AgentView, media: MediaType, into: Set<Bucket>): void {
    const registry = this.bySkills.get(tenantMedia.of(agent.tenant, media));
    if (!registry) return;
    if (subsetCount(agent.skills.size, registry.widest) <= registry.sets.size) {
      for (const key of subsetKeys(agent.skills, registry.widest)) {
        const buckets = registry.sets.get(key);
        if (buckets) consider(agent, buckets, into);
      }
    } else {
      for (const [key, buckets] of registry.sets) if (key === '' || key.split('\n').every((s) => agent.skills.has(s))) consider(agent, buckets, into);
    }
  }

  private registry(tenant: string, media: MediaType) {
    const k = tenantMedia.of(tenant, media);
    let registry = this.bySkills.get(k);
    if (!registry) this.bySkills.set(k, (registry = { sets: new Map(), widest: 0 }));
    return registry;
  }
}

const skillsKey = (skills: readonly string[]) => [...skills].sort().join('\n');

function consider(agent: AgentView, buckets: Set<Bucket>, into: Set<Bucket>): void {
  for (const bucket of buckets) if (bucket.size > 0 && qualifies(agent, agent.tenant, bucket.requirements)) into.add(bucket);
}

/**
 * The registry keys of the subsets of at most `k` of an agent's skills, kept per skills
 * map (a view's skills are shared by its versions until the profile changes): an agent
 * that gains room again and again does not rebuild them.
 */
const subsetKeysOf = new WeakMap<ReadonlyMap<string, number>, { k: number; keys: string[] }>();

function subsetKeys(skills: ReadonlyMap<string, number>, k: number): readonly string[] {
  const known = subsetKeysOf.get(skills);
  if (known?.k === k) return known.keys;
  const keys: string[] = [];
  forEachSubset([...skills.keys()].sort(), k, (key) => keys.push(key));
  subsetKeysOf.set(skills, { k, keys });
  return keys;
}

/** How many subsets of at most `k` of `n` items there are (stops counting past a million). */
function subsetCount(n: number, k: number): number {
  let total = 1;
  let term = 1;
  for (let i = 1; i <= Math.min(n, k) && total < 1e6; i++) {
    term = (term * (n - i + 1)) / i;
    total += term;
  }
  return total;
}

/** Calls `visit` with every subset of at most `k` of the sorted items, joined as the registry keys them. */
function forEachSubset(items: readonly string[], k: number, visit: (key: string) => void): void {
  const chosen: string[] = [];
  const walk = (from: number) => {
    visit(chosen.join('\n'));
    if (chosen.length === k) return;
    for (let i = from; i < items.length; i++) {
      chosen.push(items[i] as string);
      walk(i + 1);
      chosen.pop();
    }
  };
  walk(0);
}
