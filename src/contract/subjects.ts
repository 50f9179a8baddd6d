/**
 * Every NATS subject Parley uses, built here and nowhere else. Version 1 of the contract.
 *
 * | subject                                   | transport           | payload           |
 * |-------------------------------------------|---------------------|-------------------|
 * | parley.v1.inbound.<tenant>.<channel>      | JetStream INBOUND   | InboundMessage    |
 * | parley.v1.receipts.<tenant>.<channel>     | JetStream INBOUND   | DeliveryReceipt   |
 * | parley.v1.outbound.<tenant>.<channel>     | JetStream OUTBOUND  | OutboundMessage   |
 * | parley.v1.agent.cmd.<tenant>.<agentId>    | JetStream COMMANDS  | AgentCommand      |
 * | parley.v1.agent.events.<tenant>.<agentId> | core NATS           | AgentEvent        |
 * | parley.v1.queue.activity.<tenant>         | core NATS           | QueueActivityNote |
 * | parley.v1.deadletter.<source>             | JetStream DEADLETTER| the original bytes|
 * | parley.v1.campaign.replies.<tenant>.<name>| core NATS request   | BotRequest        |
 * | parley.v1.cluster.partition.<n>.<kind>    | core NATS request   | router to router  |
 * | parley.v1.cluster.state.<actors>          | core NATS           | router to router  |
 * | parley.v1.cluster.campaign.command        | core NATS request   | gateway to router |
 *
 * The `cluster` subjects are internal to the routers (not part of the contract that
 * gateways and adapters rely on): requests to the owner of a partition, the committed
 * actor state that queue schedulers follow, and the API's commands for campaigns.
 *
 * Tokens are validated (see `names.ts`) before they reach these builders.
 */
const root = 'parley.v1';

export const subjects = {
  inbound: (tenant: string, channel: string) => `${root}.inbound.${tenant}.${channel}`,
  receipts: (tenant: string, channel: string) => `${root}.receipts.${tenant}.${channel}`,
  outbound: (tenant: string, channel: string) => `${root}.outbound.${tenant}.${channel}`,
  agentCommands: (tenant: string, agentId: string) => `${root}.agent.cmd.${tenant}.${agentId}`,
  agentEvents: (tenant: string, agentId: string) => `${root}.agent.events.${tenant}.${agentId}`,
  /** Every agent's events of one tenant (a subscription: the supervisor stream). */
  tenantAgentEvents: (tenant: string) => `${root}.agent.events.${tenant}.*`,
  /** Which queues' report facts were just folded: the supervisor stream's cue to re-read them. */
  queueActivity: (tenant: string) => `${root}.queue.activity.${tenant}`,
  deadLetter: (source: DeadLetterSource) => `${root}.deadletter.${source}`,
  /** The bot that answers replies to a campaign without a reply queue (its keyword rules). */
  campaignReplies: (tenant: string, campaign: string) => `${root}.campaign.replies.${tenant}.${campaign}`,
  /** A request to the node that owns a partition: `actor` (an event for one of its actors) or `inbound` (a customer message). */
  partition: (partition: number, kind: 'actor' | 'inbound') => `${root}.cluster.partition.${partition}.${kind}`,
  partitionRequests: (partition: number) => `${root}.cluster.partition.${partition}.*`,
  /** A command for a campaign's actor (the API's start, pause, resume, stop), taken by any router and run on the campaign's owner. */
  campaignCommands: `${root}.cluster.campaign.command`,
  /** Committed state for the queue schedulers on every node, many notes per message: what they read of conversations (`conversations`), what they know of agents (`agents`). */
  actorStates: (actors: 'conversations' | 'agents') => `${root}.cluster.state.${actors}`,
  /** The same, one note per message, as the release before publishes them: read, and published too while a router of that release is heard (rolling upgrades). */
  legacyActorState: (actor: 'conversation' | 'agent-view') => `${root}.cluster.state.${actor}`,

  /** Wildcards for stream definitions and subscriptions. */
  all: {
    inbound: `${root}.inbound.>`,
    receipts: `${root}.receipts.>`,
    outbound: `${root}.outbound.>`,
    agentCommands: `${root}.agent.cmd.>`,
    agentEvents: `${root}.agent.events.>`,
    deadLetters: `${root}.deadletter.>`,
    campaignReplies: `${root}.campaign.replies.*.*`,
  },
} as const;

export const DeadLetterSources = ['inbound', 'receipts', 'commands', 'channels'] as const;
export type DeadLetterSource = (typeof DeadLetterSources)[number];

/** JetStream streams and the subjects each one captures. */
export const streams = {
  inbound: { name: 'PARLEY_INBOUND', subjects: [subjects.all.inbound, subjects.all.receipts] },
  outbound: { name: 'PARLEY_OUTBOUND', subjects: [subjects.all.outbound] },
  commands: { name: 'PARLEY_COMMANDS', subjects: [subjects.all.agentCommands] },
  deadLetters: { name: 'PARLEY_DEADLETTER', subjects: [subjects.all.deadLetters] },
} as const;

/** Headers Parley reads or writes. */
export const headers = {
  /** JetStream de-duplication id. */
  msgId: 'Nats-Msg-Id',
  /** Why a message was dead-lettered (a code from the error catalog). */
  deadLetterReason: 'Parley-Dead-Letter-Reason',
  /** The human-readable detail of the dead-letter reason. */
  deadLetterDetail: 'Parley-Dead-Letter-Detail',
  /** The subject the dead-lettered message was first published to. */
  originalSubject: 'Parley-Original-Subject',
} as const;

/** The de-duplication id a channel adapter sets on an inbound message. */
export function inboundMsgId(tenant: string, channel: string, messageId: string): string {
  return `${tenant}:${channel}:${messageId}`;
}

/** The de-duplication id a channel adapter sets on a receipt. */
export function receiptMsgId(messageId: string, status: string): string {
  return `${messageId}:${status}`;
}

export interface InboundSubject {
  kind: 'inbound' | 'receipts';
  tenant: string;
  channel: string;
}

/** Reads tenant and channel back from an inbound or receipt subject; undefined if it is neither. */
export function parseInboundSubject(subject: string): InboundSubject | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'parley' || parts[1] !== 'v1') return undefined;
  const [, , kind, tenant, channel] = parts;
  if ((kind !== 'inbound' && kind !== 'receipts') || !tenant || !channel) return undefined;
  return { kind, tenant, channel };
}

/** Reads tenant and agent id back from an agent command subject. */
export function parseAgentCommandSubject(subject: string): { tenant: string; agentId: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[0] !== 'parley' || parts[1] !== 'v1' || parts[2] !== 'agent' || parts[3] !== 'cmd') return undefined;
  const tenant = parts[4];
  const agentId = parts[5];
  return tenant && agentId ? { tenant, agentId } : undefined;
}
