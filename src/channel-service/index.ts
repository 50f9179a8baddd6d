/** The channels role: the webhook server, the sender and the shared pace around the provider codecs of `src/channels`. */
export { startChannelService, type ChannelService, type ChannelServiceOptions } from './channel-service.ts';
export { fileSecrets, kubernetesSecrets, staticSecrets, SecretNotFoundError, type SecretSource, type SecretRef } from './secrets.ts';
export { resolveChannel, webhookUrl, ChannelNotConnectedError, type ResolvedChannel } from './resolve-channel.ts';
export { reserveSend, type Rate } from './pacing.ts';
export { channelMetrics, type ChannelMetrics } from './metrics.ts';
export { channelDb, type ChannelDb, type ChannelTables } from './tables.ts';
