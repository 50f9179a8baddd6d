import type { MediaType } from '../contract/index.ts';
import type { QueueConfig } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import { qualifies } from './eligibility.ts';
import type { Requirements } from './requirements.ts';
import { SortedList } from './sorted-list.ts';
import { rankOf, urgencyOf, type Urgent } from './urgency.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/**
 * Waiting conversations that need the same of an agent: same tenant, queue, media type,
 * ring, language and skills. One list in serving order by a key fixed for each
 * conversation's wait (`rankOf`): time moves urgency but never this order, so nothing is
 * re-sorted and the head is always the most urgent.
 */
export interface Bucket {
  readonly key: string;
  readonly tenant: string;
  readonly queue: string;
  readonly media: MediaType;
  readonly requirements: Requirements;
  readonly aging: QueueConfig['aging'] | undefined;
  readonly list: SortedList<WaitingConversation>;
  size: number;
  /** A choice in this pass found no agent with a free slot for these requirements (the next conversations need not search). */
  starved: boolean;
}

/** A conversation with its urgency now, as the scheduler serves them. */
export interface Head extends Urgent {
  conversation: WaitingConversation;
}

/** Serving order within a queue: higher rank, then waiting longer, then by id. */
function byRank(aging: QueueConfig['aging'] | undefined): (a: WaitingConversation, b: WaitingConversation) => number {
  return (a, b) => {
    const ra = rankOf(a.priority, a.enqueuedAt, aging);
    const rb = rankOf(b.priority, b.enqueuedAt, aging);
    if (ra !== rb) return ra > rb ? -1 : 1;
    return a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
}

/**
 * The waiting conversations already decided (no offer in flight, nobody eligible with a
 * free slot when last decided, not waiting for particular agents), in buckets. The
 * buckets of a tenant and media type are found by their required skills, so an agent
 * that gained room reads only the buckets whose skills it has, not every conversation.
 */
export class WaitingList {
  private readonly buckets = new Map<string, Bucket>();
  private readonly bucketOf = new Map<string, Bucket>();
  private created: Bucket[] = [];
  /** Each conversation version's bucket key (computed once: sorting its skills is not free). */
  private readonly keys = new WeakMap<WaitingConversation, string>();
  private starved: Bucket[] = [];
  /** `tenant|media` → required skills (sorted, joined) → buckets; and the largest number of skills required there. */
  private readonly bySkills = new Map<string, { sets: Map<string, Set<Bucket>>; widest: number }>();

  /**
   * @param requirementsOf what an agent needs for a conversation of this queue (its target aside)
   * @param agingOf the queue's aging
   */
  constructor(
    private readonly requirementsOf: (conversation: WaitingConversation) => Requirements,
    private readonly agingOf: (tenant: string, queue: string) => QueueConfig['aging'] | undefined,
  ) {}

  /** The bucket of conversations that need what this one needs (created empty if there is none). */
  bucketFor(conversation: WaitingConversation): Bucket {
    let key = this.keys.get(conversation);
    if (key === undefined) this.keys.set(conversation, (key = bucketKey(conversation)));
    let bucket = this.buckets.get(key);
    if (bucket) return bucket;
    const requirements = this.requirementsOf(conversation);
    const aging = this.agingOf(conversation.tenant, conversation.queue);
    bucket = {
      key,
      tenant: conversation.tenant,
      queue: conversation.queue,
      media: conversation.mediaType,
      requirements,
      aging,
      list: new SortedList(byRank(aging)),
      size: 0,
      starved: false,
    };
    this.buckets.set(key, bucket);
    this.created.push(bucket);
    const registry = this.registry(bucket.tenant, bucket.media);
    const skills = skillsKey(requirements.skills);
    const set = registry.sets.get(skills) ?? new Set();
    registry.sets.set(skills, set.add(bucket));
    registry.widest = Math.max(registry.widest, requirements.skills.length);
    return bucket;
  }

  add(conversation: WaitingConversation): Bucket {
    if (this.bucketOf.has(conversation.id)) throw new Error(`conversation ${conversation.id} is in a bucket already`);
    const bucket = this.bucketFor(conversation);
    bucket.list.insert(conversation);
    bucket.size++;
    this.bucketOf.set(conversation.id, bucket);
    return bucket;
  }

  /** The end of a pass: forgets the buckets created since that stayed empty, and who found nobody. */
  prune(): void {
    for (const bucket of this.created) if (bucket.size === 0 && this.buckets.get(bucket.key) === bucket) this.drop(bucket);
    this.created = [];
    for (const bucket of this.starved) bucket.starved = false;
    this.starved = [];
  }

  /** A choice for this bucket found nobody: in this pass, so would the next of its conversations. */
  markStarved(bucket: Bucket): void {
    bucket.starved = true;
    this.starved.push(bucket);
  }

  delete(conversation: WaitingConversation): void {
    const bucket = this.bucketOf.get(conversation.id);
    if (!bucket) return;
    this.bucketOf.delete(conversation.id);
    if (!bucket.list.delete(conversation)) throw new Error(`waiting list out of step for conversation ${conversation.id}`);
    bucket.size--;
    if (bucket.size === 0) this.drop(bucket);
  }

  private drop(bucket: Bucket): void {
    this.buckets.delete(bucket.key);
    const registry = this.registry(bucket.tenant, bucket.media);
    const skills = skillsKey(bucket.requirements.skills);
    const set = registry.sets.get(skills);
    set?.delete(bucket);
    if (set?.size === 0) registry.sets.delete(skills);
  }

  bucket(conversationId: string): Bucket | undefined {
    return this.bucketOf.get(conversationId);
  }

  /** The most urgent conversation of a bucket now: its first, with its urgency at `now`. */
  head(bucket: Bucket, now: number): Head | undefined {
    const conversation = bucket.list.first();
    if (!conversation) return undefined;
    return { conversation, urgency: urgencyOf(conversation.priority, conversation.enqueuedAt, bucket.aging, now), enqueuedAt: conversation.enqueuedAt, id: conversation.id };
  }

  /**
   * The non-empty buckets of this media type whose conversations the agent qualifies
   * for. Only the buckets whose required skills the agent has all of are read: found by
   * the subsets of its skills when they are fewer than the groups of buckets, else by
   * checking every group.
   */
  bucketsFor(agent: AgentView, media: MediaType, into: Set<Bucket>): void {
    const registry = this.bySkills.get(`${agent.tenant}|${media}`);
    if (!registry) return;
    const consider = (buckets: Set<Bucket> | undefined) => {
      for (const bucket of buckets ?? []) if (bucket.size > 0 && qualifies(agent, agent.tenant, bucket.requirements)) into.add(bucket);
    };
    const skills = [...agent.skills.keys()].sort();
    if (subsetCount(skills.length, registry.widest) <= registry.sets.size) {
      forEachSubset(skills, registry.widest, (key) => consider(registry.sets.get(key)));
    } else {
      for (const [key, buckets] of registry.sets) if (key === '' || key.split('\n').every((s) => agent.skills.has(s))) consider(buckets);
    }
  }

  private registry(tenant: string, media: MediaType) {
    const k = `${tenant}|${media}`;
    let registry = this.bySkills.get(k);
    if (!registry) this.bySkills.set(k, (registry = { sets: new Map(), widest: 0 }));
    return registry;
  }
}

const skillsKey = (skills: readonly string[]) => [...skills].sort().join('\n');

function bucketKey(c: WaitingConversation): string {
  return `${c.tenant}|${c.queue}|${c.mediaType}|${c.ring}|${c.language ?? ''}|${[...c.skills].sort().join('\n')}`;
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
