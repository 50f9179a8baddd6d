import type { ChannelConfig, ConfigRegistry } from '../config/index.ts';
import { resolveChannel, type ResolvedChannel } from './resolve-channel.ts';
import type { SecretSource } from './secrets.ts';

/**
 * The Channels of the live configuration, resolved to providers on first use and kept
 * while their configuration is unchanged, for at most `ttlMs` (so a rotated secret
 * applies without a restart). A failed resolution (a missing secret) is not cached.
 */
export class ChannelDirectory {
  private readonly cache = new Map<string, { config: string; at: number; channel: Promise<ResolvedChannel> }>();

  constructor(
    private readonly config: ConfigRegistry,
    private readonly secrets: SecretSource,
    private readonly publicBaseUrl: string | undefined,
    private readonly ttlMs = 60_000,
  ) {}

  /** The Channel's configuration, or undefined when the tenant has no such Channel. */
  configOf(tenant: string, name: string): ChannelConfig | undefined {
    return this.config.channel(tenant, name);
  }

  /** The resolved Channel; rejects when it has no provider block or a secret cannot be read. */
  resolve(channel: ChannelConfig): Promise<ResolvedChannel> {
    const key = `${channel.tenant}/${channel.name}`;
    const identity = JSON.stringify([channel.type, channel.provider, channel.rateLimit, channel.richContentDisabled]);
    const cached = this.cache.get(key);
    if (cached && cached.config === identity && Date.now() - cached.at < this.ttlMs) return cached.channel;
    const resolved = resolveChannel(channel, this.secrets, this.publicBaseUrl);
    this.cache.set(key, { config: identity, at: Date.now(), channel: resolved });
    resolved.catch(() => {
      if (this.cache.get(key)?.channel === resolved) this.cache.delete(key);
    });
    return resolved;
  }
}
