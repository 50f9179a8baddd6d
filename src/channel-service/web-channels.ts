import type { ConfigRegistry } from '../config/index.ts';
import type { WebChannelSettings } from '../web-messaging/index.ts';

/**
 * The web-messaging settings of `tenant/channel` from the live configuration, read at each
 * request; undefined (404 to the widget) unless it is a `web` Channel. A `web` Channel
 * without `spec.web` allows no browser origin.
 */
export function webChannelSettings(config: ConfigRegistry): (tenant: string, channel: string) => WebChannelSettings | undefined {
  return (tenant, name) => {
    const channel = config.channel(tenant, name);
    if (channel?.type !== 'web') return undefined;
    return { allowedOrigins: channel.web?.allowedOrigins ?? [], ...(channel.web?.offlineMessage && { offlineMessage: channel.web.offlineMessage }) };
  };
}
