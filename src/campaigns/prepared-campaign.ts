import type { Kysely } from 'kysely';
import type { CampaignConfig, ChannelConfig, ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { InvalidTemplateError } from './errors.ts';
import { compileMessage, type CompiledMessage } from './message-template.ts';
import { compileWindow } from './sending-window.ts';
import type { ReadyProblem } from './tables.ts';

/** Channel kinds a campaign can send through, and the contact field each one addresses. */
export const CampaignChannelKinds = { sms: 'phone', email: 'email' } as const;
export type CampaignChannelKind = keyof typeof CampaignChannelKinds;

/** A campaign checked against its list and channel, ready to render and schedule messages. */
export interface PreparedCampaign {
  campaign: CampaignConfig;
  channel: ChannelConfig;
  kind: CampaignChannelKind;
  listColumns: readonly string[];
  message: CompiledMessage;
  subject: CompiledMessage | undefined;
  html: CompiledMessage | undefined;
  window: ReturnType<typeof compileWindow>;
  defaultZone: string;
  /** Messages per minute: the campaign's pacing within the channel's rate limit. */
  messagesPerMinute: number;
}

export type Preparation = { ok: true; prepared: PreparedCampaign } | { ok: false; problem: ReadyProblem };

/**
 * Checks that a campaign can run — its channel exists and sends SMS or e-mail, its list
 * exists, its template names only the list's columns — and compiles what sending needs.
 * A problem is what the Campaign's `Ready=False` condition reports.
 */
export async function prepareCampaign(db: Kysely<Database>, config: Pick<ConfigRegistry, 'channel'>, campaign: CampaignConfig): Promise<Preparation> {
  const { spec, tenant } = campaign;
  const channel = config.channel(tenant, spec.channel);
  if (!channel) return { ok: false, problem: { reason: 'ChannelNotFound', message: `the channel ${JSON.stringify(spec.channel)} does not exist in ${tenant}` } };
  if (!(channel.type in CampaignChannelKinds)) {
    return { ok: false, problem: { reason: 'UnsupportedChannel', message: `the channel ${spec.channel} is of type ${channel.type}: campaigns send through sms or email channels` } };
  }
  const list = await db.selectFrom('contact_lists').select(['columns']).where('tenant', '=', tenant).where('id', '=', spec.contacts.listId).executeTakeFirst();
  if (!list) return { ok: false, problem: { reason: 'ListNotFound', message: `the contact list ${JSON.stringify(spec.contacts.listId)} does not exist in ${tenant}` } };
  try {
    const message = compileMessage(spec.message, list.columns);
    const subject = spec.message.subject === undefined ? undefined : compileMessage({ template: spec.message.subject }, list.columns);
    const html = spec.message.html === undefined ? undefined : compileMessage({ template: spec.message.html }, list.columns);
    const channelPerMinute = channel.rateLimit ? channel.rateLimit.messagesPerSecond * 60 : Infinity;
    return {
      ok: true,
      prepared: {
        campaign,
        channel,
        kind: channel.type as CampaignChannelKind,
        listColumns: list.columns,
        message,
        subject,
        html,
        window: compileWindow(spec.window),
        defaultZone: spec.window.timeZone,
        messagesPerMinute: Math.min(spec.pacing.messagesPerMinute, channelPerMinute),
      },
    };
  } catch (err) {
    if (err instanceof InvalidTemplateError) return { ok: false, problem: { reason: 'InvalidTemplate', message: err.message } };
    throw err;
  }
}
