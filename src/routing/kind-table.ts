import type { QueueConfig, RoutingMethod } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { CompiledRequirements } from './compiled-requirements.ts';
import type { KindPass } from './kind-pass.ts';
import type { Requirements } from './requirements.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import type { Bucket } from './waiting-list.ts';

/**
 * What a group of waiting conversations needs of an agent: same tenant, queue, media
 * type, ring, language and skills. Computed once per group and kept until the queue's
 * configuration changes (deciding a conversation does not rebuild its requirements).
 */
export interface Kind {
  readonly tenant: string;
  readonly queue: string;
  readonly media: MediaType;
  readonly requirements: Requirements;
  /** The requirements compiled against the agent index's skill ids. */
  readonly compiled: CompiledRequirements;
  readonly method: RoutingMethod;
  readonly aging: QueueConfig['aging'] | undefined;
  /** Its required skills, sorted and joined: how the waiting list files its bucket. */
  readonly skillsKey: string;
  /** A choice in this pass found no agent with a free slot for these requirements (the next conversations need not search). */
  starved: boolean;
  /** Its queue's configuration changed since: conversations of this kind find their kind again. */
  forgotten: boolean;
  /** What its choices learned in this pass (see `KindPass`). */
  readonly pass: KindPass;
  /** Its conversations decided and waiting, while there are any. */
  bucket: Bucket | undefined;
}

/** The media types as small numbers, for the kinds' keys. */
const mediaNumber: Readonly<Record<MediaType, number>> = { message: 0, sms: 1, email: 2, webchat: 3 };

/**
 * The kinds, found by what routing reads of a conversation: per queue, by one number made
 * of its media type, ring and skills (as small numbers) when it needs no language, a ring
 * under 64 and at most two skills — the common case — else by a string of them all. A
 * lookup hashes no string built for it.
 */
export class KindTable {
  private readonly byTenant = new Map<string, Map<string, Map<number | string, Kind>>>();
  /** Skill names as small numbers (from 1), for the keys. */
  private readonly skills = new Map<string, number>();

  find(c: WaitingConversation): Kind | undefined {
    return this.byTenant.get(c.tenant)?.get(c.queue)?.get(this.keyOf(c));
  }

  add(c: WaitingConversation, kind: Kind): void {
    let queues = this.byTenant.get(c.tenant);
    if (!queues) this.byTenant.set(c.tenant, (queues = new Map<string, Map<number | string, Kind>>()));
    let kinds = queues.get(c.queue);
    if (!kinds) queues.set(c.queue, (kinds = new Map<number | string, Kind>()));
    kinds.set(this.keyOf(c), kind);
  }

  /** Forgets every kind of the queue; returns them. */
  forgetQueue(tenant: string, queue: string): Kind[] {
    const kinds = this.byTenant.get(tenant)?.get(queue);
    if (!kinds) return [];
    this.byTenant.get(tenant)?.delete(queue);
    return [...kinds.values()];
  }

  private keyOf(c: WaitingConversation): number | string {
    const { skills, ring } = c;
    const media = mediaNumber[c.mediaType];
    if (c.language === null && ring >= 0 && ring < 64 && Number.isInteger(ring) && skills.length <= 2) {
      const a = skills.length > 0 ? this.skillNumber(skills[0] as string) : 0;
      const b = skills.length > 1 ? this.skillNumber(skills[1] as string) : 0;
      // The skills in either order are the same needs: the smaller number first.
      if (a < 2048 && b < 2048) return media + 4 * (ring + 64 * (a < b ? a + 2048 * b : b + 2048 * a));
    }
    return `${media}|${ring}|${c.language ?? ''}|${[...skills].sort().join('\n')}`;
  }

  private skillNumber(skill: string): number {
    let n = this.skills.get(skill);
    if (n === undefined) this.skills.set(skill, (n = this.skills.size + 1));
    return n;
  }
}
