import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { ChannelType, InboundMessage } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { ChannelComplianceSettings } from './channel-compliance.ts';
import { applyInboundKeyword } from './inbound-keywords.ts';
import { publishComplianceAnswer } from './publish-answer.ts';

/** The Channels the hook reads: their type and keyword settings (the live `ConfigRegistry`). */
export interface KeywordChannels {
  channel(tenant: string, name: string): { type: ChannelType; compliance?: ChannelComplianceSettings | undefined } | undefined;
}

/**
 * What the channels role runs on every customer message before publishing it: the
 * keyword rules (opt-out, opt-in, help) written to the consent ledger, and their answer
 * published at once. A Channel without `compliance` settings still honours STOP, START
 * and HELP; its answers name the tenant as the brand.
 */
export function keywordHook(db: Kysely<Database>, nc: NatsConnection, channels: KeywordChannels): (message: InboundMessage) => Promise<void> {
  return async (message) => {
    const channel = channels.channel(message.tenant, message.channel);
    if (!channel) return;
    const compliance = channel.compliance ?? ChannelComplianceSettings.parse({ brand: message.tenant, contact: 'reply HELP' });
    const result = await applyInboundKeyword(db, message, { kind: channel.type, compliance });
    if (result?.answer) await publishComplianceAnswer(nc, result.answer);
  };
}
