import type { ChannelResource, QueueResource, Resource } from './resources.ts';

export interface ChannelConfig {
  tenant: string;
  name: string;
  type: ChannelResource['spec']['type'];
  queue: string;
  threadingWindowMs: number;
  rules: ChannelResource['spec']['inboundFlow']['rules'];
}

export interface QueueConfig {
  tenant: string;
  name: string;
  skills: string[];
  alertingTimeoutMs: number;
}

const key = (tenant: string, name: string) => `${tenant}/${name}`;

/**
 * The live configuration a process routes by. It is replaced as a whole set of
 * resources (from a YAML folder now; from the operator's KV bucket later) so that
 * readers never see a half-applied change.
 */
export class ConfigRegistry {
  private channels = new Map<string, ChannelConfig>();
  private queues = new Map<string, QueueConfig>();

  /** Replaces the configuration with these resources. */
  apply(resources: readonly Resource[]): void {
    const channels = new Map<string, ChannelConfig>();
    const queues = new Map<string, QueueConfig>();
    for (const r of resources) {
      const tenant = r.metadata.namespace;
      if (r.kind === 'Channel') channels.set(key(tenant, r.metadata.name), toChannel(r));
      else queues.set(key(tenant, r.metadata.name), toQueue(r));
    }
    this.channels = channels;
    this.queues = queues;
  }

  channel(tenant: string, name: string): ChannelConfig | undefined {
    return this.channels.get(key(tenant, name));
  }

  queue(tenant: string, name: string): QueueConfig | undefined {
    return this.queues.get(key(tenant, name));
  }

  allChannels(): ChannelConfig[] {
    return [...this.channels.values()];
  }

  allQueues(): QueueConfig[] {
    return [...this.queues.values()];
  }
}

function toChannel(r: ChannelResource): ChannelConfig {
  return {
    tenant: r.metadata.namespace,
    name: r.metadata.name,
    type: r.spec.type,
    queue: r.spec.queue,
    threadingWindowMs: r.spec.threadingWindow,
    rules: r.spec.inboundFlow.rules,
  };
}

function toQueue(r: QueueResource): QueueConfig {
  return {
    tenant: r.metadata.namespace,
    name: r.metadata.name,
    skills: r.spec.skills,
    alertingTimeoutMs: r.spec.alertingTimeout,
  };
}
