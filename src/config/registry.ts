import type { ChannelResource, QueueResource, Resource, RoutingMethod } from './resources.ts';
import type { CampaignResource } from './campaign-resource.ts';

/** A Channel as the router uses it: defaults resolved, durations in milliseconds. */
export interface ChannelConfig {
  tenant: string;
  name: string;
  type: ChannelResource['spec']['type'];
  queue: string;
  threadingWindowMs: number;
  rules: ChannelResource['spec']['inboundFlow']['rules'];
  bot: { subject: string; timeoutMs: number } | undefined;
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
  richContentDisabled: readonly string[];
  /** The provider account, settings and secret references (the channels role reads it). */
  provider: ChannelResource['spec']['provider'];
  /** The keyword answers' settings (SMS, WhatsApp); unset, the tenant's name is the brand. */
  compliance: ChannelResource['spec']['compliance'];
  /** Web messaging settings (type web). */
  web: ChannelResource['spec']['web'];
  /** E-mail settings, secrets by reference (type email). */
  email: ChannelResource['spec']['email'];
  /** WhatsApp settings: the approved templates (type whatsapp). */
  whatsapp: ChannelResource['spec']['whatsapp'];
}

export interface Members {
  agents?: readonly string[] | undefined;
  selector?: Readonly<Record<string, string>> | undefined;
}

/** A Queue as the router uses it: defaults resolved, durations in milliseconds. */
export interface QueueConfig {
  tenant: string;
  name: string;
  method: RoutingMethod;
  skills: readonly string[];
  minProficiency: Readonly<Record<string, number>>;
  /** Undefined: any agent of the tenant with the skills. */
  members: Members | undefined;
  alertingTimeoutMs: number;
  lastAgent: { mode: 'any-queue' | 'this-queue' | 'none'; timeoutMs: number };
  preferredAgentTimeoutMs: number;
  aging: { everyMs: number; step: number };
  bullseye:
    | {
        rings: { waitMs: number; dropSkills: readonly string[]; minProficiency: number | undefined; addMembers: Members | undefined }[];
        whenExhausted: 'anyone' | 'overflow';
      }
    | undefined;
  maxDepth: number;
  overflowQueue: string | undefined;
  wrapUp: { codes: readonly { code: string; label: string }[]; required: boolean; afterWorkMs: number };
  serviceLevel: { percentage: number; withinMs: number };
}

export interface CampaignConfig {
  tenant: string;
  name: string;
  spec: CampaignResource['spec'];
}

const key = (tenant: string, name: string) => `${tenant}/${name}`;

/** A resource deleted on purpose: its configuration bucket entry holds a delete marker. */
export interface DeletedResource {
  kind: Resource['kind'];
  namespace: string;
  name: string;
}

/**
 * The live configuration a process routes by. It is replaced as a whole set of
 * resources (from a YAML folder, or from the operator's KV bucket) so that readers never
 * see a half-applied change.
 */
export class ConfigRegistry {
  private channels = new Map<string, ChannelConfig>();
  private queues = new Map<string, QueueConfig>();
  private campaigns = new Map<string, CampaignConfig>();
  private deleted = new Set<string>();

  /**
   * Replaces the configuration with these resources. `deleted`: resources deleted on
   * purpose (not merely unknown) — only those take what waits in them out of service.
   */
  apply(resources: readonly Resource[], deleted: readonly DeletedResource[] = []): void {
    const channels = new Map<string, ChannelConfig>();
    const queues = new Map<string, QueueConfig>();
    const campaigns = new Map<string, CampaignConfig>();
    for (const r of resources) {
      const id = key(r.metadata.namespace, r.metadata.name);
      if (r.kind === 'Channel') channels.set(id, toChannel(r));
      else if (r.kind === 'Queue') queues.set(id, toQueue(r));
      else campaigns.set(id, { tenant: r.metadata.namespace, name: r.metadata.name, spec: r.spec });
    }
    this.channels = channels;
    this.queues = queues;
    this.campaigns = campaigns;
    this.deleted = new Set(deleted.filter((d) => d.kind === 'Queue' && !queues.has(key(d.namespace, d.name))).map((d) => key(d.namespace, d.name)));
  }

  /**
   * Whether a queue was deleted (its entry holds a delete marker and it has not come back).
   * A queue that is merely unknown — never configured, or not yet seen — is not deleted.
   */
  queueDeleted(tenant: string, name: string): boolean {
    return this.deleted.has(key(tenant, name));
  }

  /** Every deleted queue. */
  deletedQueues(): { tenant: string; name: string }[] {
    return [...this.deleted].map((k) => {
      const slash = k.indexOf('/');
      return { tenant: k.slice(0, slash), name: k.slice(slash + 1) };
    });
  }

  channel(tenant: string, name: string): ChannelConfig | undefined {
    return this.channels.get(key(tenant, name));
  }

  queue(tenant: string, name: string): QueueConfig | undefined {
    return this.queues.get(key(tenant, name));
  }

  campaign(tenant: string, name: string): CampaignConfig | undefined {
    return this.campaigns.get(key(tenant, name));
  }

  allChannels(): ChannelConfig[] {
    return [...this.channels.values()];
  }

  allQueues(): QueueConfig[] {
    return [...this.queues.values()];
  }

  allCampaigns(): CampaignConfig[] {
    return [...this.campaigns.values()];
  }
}

function toChannel(r: ChannelResource): ChannelConfig {
  const { spec } = r;
  return {
    tenant: r.metadata.namespace,
    name: r.metadata.name,
    type: spec.type,
    queue: spec.queue,
    threadingWindowMs: spec.threadingWindow,
    rules: spec.inboundFlow.rules,
    bot: spec.inboundFlow.bot && { subject: spec.inboundFlow.bot.subject, timeoutMs: spec.inboundFlow.bot.timeout },
    rateLimit: spec.rateLimit && { messagesPerSecond: spec.rateLimit.messagesPerSecond, burst: spec.rateLimit.burst ?? spec.rateLimit.messagesPerSecond },
    richContentDisabled: spec.richContent?.disabled ?? [],
    provider: spec.provider,
    compliance: spec.compliance,
    web: spec.web,
    email: spec.email,
    whatsapp: spec.whatsapp,
  };
}

function toMembers(m: { agents?: string[] | undefined; selector?: { matchLabels: Record<string, string> } | undefined } | undefined): Members | undefined {
  return m && { agents: m.agents, selector: m.selector?.matchLabels };
}

function toQueue(r: QueueResource): QueueConfig {
  const { spec } = r;
  return {
    tenant: r.metadata.namespace,
    name: r.metadata.name,
    method: spec.method,
    skills: spec.skills,
    minProficiency: spec.minProficiency,
    members: toMembers(spec.members),
    alertingTimeoutMs: spec.alertingTimeout,
    lastAgent: { mode: spec.lastAgent.mode, timeoutMs: spec.lastAgent.timeout },
    preferredAgentTimeoutMs: spec.preferredAgentTimeout,
    aging: { everyMs: spec.aging.every, step: spec.aging.step },
    bullseye: spec.bullseye && {
      rings: spec.bullseye.rings.map((ring) => ({ waitMs: ring.wait, dropSkills: ring.dropSkills, minProficiency: ring.minProficiency, addMembers: toMembers(ring.addMembers) })),
      whenExhausted: spec.bullseye.whenExhausted,
    },
    maxDepth: spec.maxDepth,
    overflowQueue: spec.overflow?.queue,
    wrapUp: {
      codes: spec.wrapUp?.codes ?? [],
      required: spec.wrapUp?.required ?? (spec.wrapUp?.codes.length ?? 0) > 0,
      afterWorkMs: spec.wrapUp?.afterWork ?? 0,
    },
    serviceLevel: { percentage: spec.serviceLevel.percentage, withinMs: spec.serviceLevel.within },
  };
}
