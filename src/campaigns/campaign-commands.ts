import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { contextOfHeaders, inMessagingSpan, withTraceHeaders } from '../bus/index.ts';
import { ErrorCodes, ParleyError, subjects, type ErrorCode } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import { asParleyError } from '../store/index.ts';
import type { CampaignHost } from './campaign-host.ts';
import type { CampaignCommand, CampaignCommandOutcome } from './campaign-kind.ts';
import { CampaignNotFoundError, CampaignStateError } from './errors.ts';

/** The routers that take the API's campaign commands share them: one of them takes each. */
const QUEUE_GROUP = 'parley-campaign-commands';

/** How long the gateway waits for a command's answer: a router forwards it to the campaign's owner, which commits it. */
export const CAMPAIGN_COMMAND_TIMEOUT_MS = 10_000;

const Command = z.object({
  tenant: z.string().min(1),
  name: z.string().min(1),
  event: z.object({ type: z.enum(['start', 'pause', 'resume', 'stop']), at: z.iso.datetime({ offset: true }) }),
  resource: z.object({ listId: z.string(), channel: z.string(), paused: z.boolean() }).optional(),
});

type Reply = { ok: true; outcome: CampaignCommandOutcome } | { ok: false; code: string; message: string };

/**
 * Sends the API's command for a campaign (`parley.v1.cluster.campaign.command`); any
 * router takes it and runs it on the owner of the campaign's partition. Resolves to the
 * state it left the campaign in; throws `CampaignNotFoundError`, `CampaignStateError`
 * (the state refused it), or a retryable `ParleyError` when no router answers. The request
 * is a span of the caller's trace (the API request's), which the router's handling continues.
 */
export async function sendCampaignCommand(nc: NatsConnection, command: z.input<typeof Command>, timeoutMs = CAMPAIGN_COMMAND_TIMEOUT_MS): Promise<string> {
  let reply: Reply;
  try {
    const data = JSON.stringify(command);
    const subject = subjects.campaignCommands;
    reply = (await inMessagingSpan({ operation: 'request', subject, bodySize: data.length }, () => nc.request(subject, data, { timeout: timeoutMs, headers: withTraceHeaders() }))).json<Reply>();
  } catch (err) {
    throw new ParleyError('unavailable', `no router answered the campaign command within ${timeoutMs} ms`, { cause: err });
  }
  if (!reply.ok) throw new ParleyError(reply.code in ErrorCodes ? (reply.code as ErrorCode) : 'unavailable', reply.message);
  const { outcome } = reply;
  if (outcome.result === 'unknown') throw new CampaignNotFoundError(command.tenant, command.name);
  if (outcome.result === 'refused') throw new CampaignStateError(`campaign ${command.name} is ${outcome.state}: it cannot ${command.event.type}`);
  return outcome.state;
}

/** Takes campaign commands for this router's runtime (`sendCampaignCommand`), in the routers' queue group. */
export function serveCampaignCommands(nc: NatsConnection, host: CampaignHost, log: Logger): Subscription {
  return nc.subscribe(subjects.campaignCommands, {
    queue: QUEUE_GROUP,
    callback: (err, msg) => {
      if (err) return;
      const span = { operation: 'process', subject: msg.subject, parent: contextOfHeaders(msg.headers), consumerGroup: QUEUE_GROUP, bodySize: msg.data.length } as const;
      void inMessagingSpan(span, async (): Promise<Reply> => {
        let command: CampaignCommand;
        try {
          const parsed = Command.safeParse(msg.json());
          if (!parsed.success) return { ok: false, code: 'invalidEnvelope', message: z.prettifyError(parsed.error) };
          command = parsed.data;
        } catch {
          return { ok: false, code: 'malformedJson', message: 'the command is not JSON' };
        }
        try {
          return { ok: true, outcome: await host.command(command) };
        } catch (thrown) {
          const failure = asParleyError(thrown);
          if (!(failure instanceof ParleyError)) log.warn('campaign command failed', { tenant: command.tenant, campaign: command.name, err: thrown });
          return { ok: false, code: failure instanceof ParleyError ? failure.code : 'unavailable', message: failure instanceof Error ? failure.message : String(failure) };
        }
      }).then((reply) => msg.respond(JSON.stringify(reply)));
    },
  });
}
