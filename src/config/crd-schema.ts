import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { z } from 'zod';
import { CampaignResource } from './campaign-resource.ts';
import { CampaignProblemReasons, CampaignRunStates } from './campaign-status.ts';
import { ChannelResource } from './channel-resource.ts';
import { providerDescriptions, providerRules } from './channel-provider.ts';
import { webDescriptions } from './channel-web.ts';
import { whatsAppDescriptions } from './channel-whatsapp.ts';
import { emailDescriptions } from './channel-email.ts';
import { Metadata, apiVersion } from './common.ts';
import { QueueResource } from './queue-resource.ts';
import { durationBounds, formatDuration } from './duration.ts';

/**
 * The CustomResourceDefinitions of Parley's resources, derived from the zod schemas in
 * this folder: zod is the one definition of every field, its limits and defaults; this
 * module turns it into Kubernetes *structural* OpenAPI v3 schemas and adds what zod does
 * not carry (descriptions, CEL rules for cross-field checks, printer columns, status).
 * `scripts/generate-crds.ts` writes the result to `crds/`.
 */

export const [group, version] = apiVersion.split('/') as [string, string];

// ---------------------------------------------------------------------------------------
// Status: written by the operator, only through the status subresource.

/** The reasons of the `Ready` condition (STYLE.md, Operator). */
export const ReadyReasons = ['Reconciling', 'Ready', 'MissingReference', 'Invalid', 'Errored', 'Finalizing'] as const;
export type ReadyReason = (typeof ReadyReasons)[number];

/** A metav1.Condition, with the same limits as Kubernetes' own. */
export const Condition = z.object({
  type: z
    .string()
    .max(316)
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

export const ResourceStatus = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(Condition).max(32).optional(),
});
export type ResourceStatus = z.infer<typeof ResourceStatus>;

const Count = z.number().int().min(0);
export const CampaignProgress = z.object({
  total: Count,
  processed: Count,
  sent: Count,
  delivered: Count.optional(),
  failed: Count,
  skipped: Count,
  skippedByReason: z.record(z.string(), Count).optional(),
  waiting: Count.optional(),
  replied: Count.optional(),
});
export const CampaignStatus = ResourceStatus.extend({
  state: z.enum(CampaignRunStates).optional(),
  progress: CampaignProgress.optional(),
  startedAt: z.iso.datetime({ offset: true }).optional(),
  endedAt: z.iso.datetime({ offset: true }).optional(),
});
export type CampaignStatus = z.infer<typeof CampaignStatus>;

// ---------------------------------------------------------------------------------------
// Structural schema types.

export interface ValidationRule {
  rule: string;
  message: string;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps these CRDs use. */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  'x-kubernetes-validations'?: ValidationRule[];
}

/** Key order of the generated YAML, so that the files read naturally and diff cleanly. */
const keyOrder: (keyof JSONSchemaProps)[] = [
  'description',
  'type',
  'format',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'default',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'items',
  'additionalProperties',
  'required',
  'properties',
  'x-kubernetes-validations',
];
const leafKeys = new Set<string>(keyOrder.filter((k) => !['items', 'additionalProperties', 'properties'].includes(k)));

/** The duration syntax of `duration.ts` (`30s`, `1h30m`, `250ms`, `7d`). Ranges are checked by Parley, not by the API server. */
export const DurationPattern = String.raw`^(\d+(\.\d+)?(ms|s|m|h|d))+$`;

// ---------------------------------------------------------------------------------------
// Per-kind definitions: names, columns, descriptions, CEL rules.

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  /** 1: shown by `kubectl get -o wide` only. */
  priority?: number;
}

export interface KindDefinition {
  kind: 'Channel' | 'Queue' | 'Campaign';
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.core.$ZodType;
  status: z.core.$ZodType;
  columns: PrinterColumn[];
  /** Descriptions by field path (`spec.inboundFlow.rules[].match.keywords`); every field needs one. */
  descriptions: Record<string, string>;
  /**
   * CEL rules for what zod checks with `.refine()`: same meaning, so the API server rejects
   * what Parley would. A function gets the node's schema (children done, defaults set).
   */
  rules: Record<string, ValidationRule[] | ((node: JSONSchemaProps) => ValidationRule[])>;
}

const readyColumn: PrinterColumn = {
  name: 'READY',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: `The reason of the Ready condition: ${ReadyReasons.slice(0, -1).join(', ')} or ${ReadyReasons.at(-1) as string}.`,
};
const ageColumn: PrinterColumn = { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const statusDescriptions: Record<string, string> = {
  status: 'The state the operator observed; written only through the status subresource.',
  'status.observedGeneration': 'The metadata.generation the operator last reconciled.',
  'status.conditions':
    `Conditions by type. \`Ready\` is True once the resource is valid and live in the routing configuration; its reason is one of ${ReadyReasons.join(', ')}.`,
  'status.conditions[].type': 'The condition type, e.g. Ready.',
  'status.conditions[].status': 'True, False or Unknown.',
  'status.conditions[].observedGeneration': 'The metadata.generation the condition was set for.',
  'status.conditions[].lastTransitionTime': 'When the condition last changed status.',
  'status.conditions[].reason': 'A CamelCase reason for the condition, e.g. Invalid.',
  'status.conditions[].message': 'A human-readable message, e.g. which field is invalid and why.',
};

/** Label-selector descriptions, shared by every selector field. */
function selectorDescriptions(path: string, what: string): Record<string, string> {
  return {
    [path]: `${what}: agents whose labels match (matchLabels only, as in Kubernetes label selectors).`,
    [`${path}.matchLabels`]: 'Agent labels that must all be present with these values.',
  };
}

const channel: KindDefinition = {
  kind: 'Channel',
  plural: 'channels',
  singular: 'channel',
  shortNames: ['chan'],
  description:
    'A Channel is one customer-facing entry point (a WhatsApp number, an SMS number, a web widget, ...): the queue its new conversations go to, the inbound-flow rules that pick queue, skills and priority, and how long a conversation stays open between customer messages.',
  spec: ChannelResource.shape.spec,
  status: ResourceStatus,
  columns: [
    { name: 'TYPE', type: 'string', jsonPath: '.spec.type', description: 'The provider family.' },
    { name: 'QUEUE', type: 'string', jsonPath: '.spec.queue', description: 'The default queue.' },
    { name: 'WINDOW', type: 'string', jsonPath: '.spec.threadingWindow', description: 'The threading window.', priority: 1 },
    readyColumn,
    ageColumn,
  ],
  descriptions: {
    spec: 'The desired channel.',
    'spec.type':
      'The provider family. It decides which agent capacity a conversation uses: whatsapp, messenger, instagram, x, line, apple and open count as "message", sms as "sms", email as "email", web as "webchat".',
    'spec.queue': 'The queue a new conversation goes to unless an inbound-flow rule names another one.',
    'spec.threadingWindow':
      'A customer message arriving within this long after the conversation\'s last message continues (or reopens) the same conversation; a later one starts a new conversation.',
    'spec.credentials': 'The provider credentials, by Secret reference (never inline).',
    'spec.credentials.secretRef': 'A key of a Secret in the Channel\'s namespace that holds the provider credentials.',
    'spec.credentials.secretRef.name': 'The Secret\'s name.',
    'spec.credentials.secretRef.key': 'The key inside the Secret.',
    'spec.inboundFlow': 'Rules that pick the queue, the skills and the priority of each new conversation from its first message, and an optional bot that answers first.',
    'spec.inboundFlow.rules':
      'Evaluated in order; every rule whose match holds applies its set: skills add up (without duplicates), the last matching queue and priority win. When none matches: spec.queue, no extra skills, priority 0.',
    'spec.inboundFlow.rules[].match': 'When the rule applies. Needs at least one of keywords, regex, language, attribute; when several are given, all must hold.',
    'spec.inboundFlow.rules[].match.keywords':
      'Matches when the text contains one of these words (case-insensitive, whole words). Each keyword is a single word of letters and digits; use regex for phrases.',
    'spec.inboundFlow.rules[].match.regex': 'Matches when the text matches this JavaScript regular expression (flags "iu": case-insensitive, Unicode).',
    'spec.inboundFlow.rules[].match.language':
      'Matches when the message\'s language (from the channel, or a `language` attribute) has this primary tag. A BCP 47 tag such as fr or pt-BR.',
    'spec.inboundFlow.rules[].match.attribute': 'Matches when a customer attribute sent by the gateway has this value.',
    'spec.inboundFlow.rules[].match.attribute.name': 'The attribute name.',
    'spec.inboundFlow.rules[].match.attribute.equals': 'The value it must have (exact match).',
    'spec.inboundFlow.rules[].set': 'What the rule sets. Needs at least one of skills, language, priority, queue, preferredAgents.',
    'spec.inboundFlow.rules[].set.skills': 'Skills added to the conversation\'s requirements (on top of the queue\'s).',
    'spec.inboundFlow.rules[].set.language': 'The language an agent must speak (BCP 47 tag).',
    'spec.inboundFlow.rules[].set.priority': 'The conversation\'s priority: higher is served first.',
    'spec.inboundFlow.rules[].set.queue': 'The queue the conversation goes to instead of spec.queue.',
    'spec.inboundFlow.rules[].set.preferredAgents':
      'Agents tried first, in order, before normal routing (see the queue\'s preferredAgentTimeout).',
    'spec.inboundFlow.bot': 'A bot that handles new conversations first, reached over NATS request/reply; it hands off to an agent when done or when it does not answer in time.',
    'spec.inboundFlow.bot.subject': 'The NATS subject the bot answers on (no wildcards).',
    'spec.inboundFlow.bot.timeout': 'How long to wait for each bot answer before handing off to an agent.',
    'spec.rateLimit': 'Outbound sending limit for this channel.',
    'spec.rateLimit.messagesPerSecond': 'Messages sent per second at most, sustained.',
    'spec.rateLimit.burst': 'Messages that may be sent at once after a quiet period. Defaults to messagesPerSecond.',
    'spec.richContent': 'Rich-content overrides for this channel.',
    'spec.richContent.disabled': 'Rich content this channel should not receive: it is rendered as text instead.',
    'spec.compliance': 'SMS and WhatsApp: how STOP, START and HELP are answered (the keywords themselves are always honoured; docs/campaigns.md §5).',
    'spec.compliance.brand': 'The program name, first in every keyword answer.',
    'spec.compliance.contact': 'The support contact the HELP answer gives: an e-mail address, a phone number or a URL.',
    'spec.compliance.keywords': 'Keywords added to the standard ones, e.g. in other languages.',
    'spec.compliance.keywords.optOut': 'Extra opt-out words (single words, matched whole, case-insensitive).',
    'spec.compliance.keywords.optIn': 'Extra opt-in words.',
    'spec.compliance.keywords.help': 'Extra help words.',
    'spec.compliance.answers': 'Answers replacing the defaults; {brand} and {contact} are filled in.',
    'spec.compliance.answers.optOut': 'The one confirmation sent after an opt-out.',
    'spec.compliance.answers.optIn': 'The confirmation sent after an opt-in.',
    'spec.compliance.answers.help': 'The answer to HELP.',
    ...providerDescriptions,
    ...webDescriptions,
    ...emailDescriptions,
    ...whatsAppDescriptions,
    ...statusDescriptions,
  },
  rules: {
    ...providerRules,
    spec: [
      ...providerRules.spec,
      { rule: "!has(self.web) || self.type == 'web'", message: 'spec.web is for channels of type web' },
      { rule: "!has(self.email) || self.type == 'email'", message: 'spec.email is for channels of type email' },
      { rule: "!has(self.whatsapp) || self.type == 'whatsapp'", message: 'spec.whatsapp is for channels of type whatsapp' },
    ],
    'spec.inboundFlow.rules[].match': [
      { rule: 'has(self.keywords) || has(self.regex) || has(self.language) || has(self.attribute)', message: 'a rule needs keywords, regex, language or attribute' },
    ],
    'spec.inboundFlow.rules[].set': [
      {
        rule: 'has(self.skills) || has(self.language) || has(self.priority) || has(self.queue) || has(self.preferredAgents)',
        message: 'a rule must set skills, language, priority, queue or preferredAgents',
      },
    ],
  },
};

const queue: KindDefinition = {
  kind: 'Queue',
  plural: 'queues',
  singular: 'queue',
  shortNames: ['pq'],
  description:
    'A Queue holds conversations waiting for an agent: how it picks among eligible agents (method, skills, proficiency, members, bullseye rings), how long an offer rings, last-agent routing, wrap-up codes, its service-level target, and where conversations go when it is full.',
  spec: QueueResource.shape.spec,
  status: ResourceStatus,
  columns: [
    { name: 'METHOD', type: 'string', jsonPath: '.spec.method', description: 'The routing method.' },
    { name: 'ALERTING', type: 'string', jsonPath: '.spec.alertingTimeout', description: 'How long an offer rings.' },
    { name: 'OVERFLOW', type: 'string', jsonPath: '.spec.overflow.queue', description: 'The overflow queue.', priority: 1 },
    { name: 'MAX-DEPTH', type: 'integer', jsonPath: '.spec.maxDepth', description: 'Conversations waiting at most (0: no limit).', priority: 1 },
    readyColumn,
    ageColumn,
  ],
  descriptions: {
    spec: 'The desired queue.',
    'spec.method':
      'How the queue picks among eligible agents (all have every required skill): longest-idle (idle longest), best-skills (highest mean proficiency in the required skills, ties by idle time), most-available (lowest utilization), rotation (assigned longest ago, whatever the load).',
    'spec.skills': 'Skills every conversation in this queue requires (inbound-flow rules can add more for one conversation).',
    'spec.minProficiency': 'Minimum proficiency (1-5) per required skill, by skill name; a skill not listed accepts any proficiency.',
    'spec.members': 'Who may take this queue\'s conversations: listed agents and/or agents with labels. Absent: any agent of the tenant with the skills.',
    'spec.members.agents': 'Agent ids.',
    ...selectorDescriptions('spec.members.selector', 'Members by label'),
    'spec.alertingTimeout': 'How long an offer rings at an agent before it goes to the next agent.',
    'spec.lastAgent': 'Last-agent routing inside the channel\'s threading window.',
    'spec.lastAgent.mode':
      'any-queue: the agent who last served the customer is tried first, whichever queue that was in; this-queue: only if it was in this queue; off: no last-agent routing.',
    'spec.lastAgent.timeout': 'How long to wait for the last agent before anyone may take the conversation.',
    'spec.preferredAgentTimeout': 'How long a conversation waits for its preferred agents (set by inbound-flow rules) before anyone may take it.',
    'spec.aging': 'Priority aging: conversations are ordered by priority + step × (time waited / `every`), so long waits are not starved.',
    'spec.aging.every': 'The wait in which the effective priority grows by `step` (it grows continuously).',
    'spec.aging.step': 'How much it grows per `every` waited (0 turns aging off).',
    'spec.bullseye': 'Escalation in rings: after each ring\'s wait the requirements relax (skills dropped, lower proficiency, more members).',
    'spec.bullseye.rings': 'The rings, innermost first.',
    'spec.bullseye.rings[].wait': 'How long a conversation stays in this ring before moving out to the next.',
    'spec.bullseye.rings[].dropSkills': 'Skills no longer required from this ring on.',
    'spec.bullseye.rings[].minProficiency': 'Minimum proficiency (1-5) required from this ring on (lower means more agents).',
    'spec.bullseye.rings[].addMembers': 'Agents added to the members from this ring on.',
    'spec.bullseye.rings[].addMembers.agents': 'Agent ids.',
    ...selectorDescriptions('spec.bullseye.rings[].addMembers.selector', 'Members added by label'),
    'spec.bullseye.whenExhausted': 'After the last ring: keep waiting for any member (anyone) or move to spec.overflow.queue (overflow).',
    'spec.maxDepth': 'Conversations waiting at most; 0 means no limit. A value above 0 needs spec.overflow.',
    'spec.overflow': 'Where conversations go when the queue is full (maxDepth) or the bullseye overflows.',
    'spec.overflow.queue': 'The overflow queue, in the same namespace.',
    'spec.wrapUp': 'After-conversation work and wrap-up codes.',
    'spec.wrapUp.codes': 'The codes an agent can give an ended interaction.',
    'spec.wrapUp.codes[].code': 'The code as reported (letters, digits, "_", ".", "-").',
    'spec.wrapUp.codes[].label': 'The text agents see.',
    'spec.wrapUp.required': 'Whether the agent must give a code before the interaction ends. Defaults to true when codes exist.',
    'spec.wrapUp.afterWork': 'After-conversation work: the agent\'s slot stays busy this long after the interaction ends.',
    'spec.serviceLevel': 'The service-level target, e.g. 80 % of conversations answered within 60s.',
    'spec.serviceLevel.percentage': 'The share of conversations, in percent, that should be answered within `within`.',
    'spec.serviceLevel.within': 'The answer time of the target.',
    ...statusDescriptions,
  },
  rules: {
    'spec.members': [{ rule: 'has(self.agents) || has(self.selector)', message: 'members needs agents or a selector' }],
    spec: [
      { rule: '!has(self.maxDepth) || self.maxDepth == 0 || has(self.overflow)', message: 'maxDepth needs an overflow queue' },
      {
        rule: "!has(self.bullseye) || !has(self.bullseye.whenExhausted) || self.bullseye.whenExhausted != 'overflow' || has(self.overflow)",
        message: 'bullseye.whenExhausted: overflow needs an overflow queue',
      },
    ],
  },
};

const campaign: KindDefinition = {
  kind: 'Campaign',
  plural: 'campaigns',
  singular: 'campaign',
  shortNames: ['camp'],
  description:
    'A Campaign sends one message to every contact of a list through an SMS or e-mail Channel, inside a sending window and at a pace, and routes the replies to a queue.',
  spec: CampaignResource.shape.spec,
  status: CampaignStatus,
  columns: [
    { name: 'CHANNEL', type: 'string', jsonPath: '.spec.channel', description: 'The channel it sends through.' },
    { name: 'PAUSED', type: 'boolean', jsonPath: '.spec.paused', description: 'Whether sending is paused.' },
    { name: 'STATE', type: 'string', jsonPath: '.status.state', description: 'scheduled, running, paused, completed or stopped.' },
    { name: 'SENT', type: 'integer', jsonPath: '.status.progress.sent', description: 'Messages sent.' },
    { name: 'TOTAL', type: 'integer', jsonPath: '.status.progress.total', description: 'Contacts in the list.', priority: 1 },
    { name: 'FAILED', type: 'integer', jsonPath: '.status.progress.failed', description: 'Messages that failed.', priority: 1 },
    readyColumn,
    ageColumn,
  ],
  descriptions: {
    spec: 'The desired campaign.',
    'spec.channel': 'The Channel it sends through (of type sms or email), in the same namespace.',
    'spec.contacts': 'Where the contacts come from.',
    'spec.contacts.listId': 'The id of a contact list uploaded through the API.',
    'spec.message': 'The text: exactly one of template or column.',
    'spec.message.template': 'A template with {{column}} placeholders filled from each contact\'s row.',
    'spec.message.column': 'A column of the contact list that holds each contact\'s text.',
    'spec.doNotContact': 'Do-not-contact lists checked before each send (ids of lists managed through the API).',
    'spec.window': 'When it may send: in the contact\'s time zone when the list has one, else in timeZone.',
    'spec.window.days': 'The days it may send on.',
    'spec.window.start': 'The time of day sending may start (HH:MM, 24-hour).',
    'spec.window.end': 'The time of day sending stops (HH:MM, 24-hour); after start.',
    'spec.window.timeZone': 'The IANA time zone (e.g. Europe/Paris) for contacts without one.',
    'spec.pacing': 'How fast it sends.',
    'spec.pacing.messagesPerMinute': 'Messages per minute at most.',
    'spec.replies': 'Where replies go: to queue when it names one, else answered by keywords and closed after noReplyClose. Absent: replies are routed like any inbound message of the channel.',
    'spec.replies.queue': 'The queue replies go to, in the same namespace. Absent: keywords and otherwise answer them.',
    'spec.replies.keywords': 'Without a queue: automatic answers to replies.',
    'spec.replies.keywords[].match': 'Replies that get this answer: a reply matches when it is exactly one of these, trimmed, in any case.',
    'spec.replies.keywords[].match[]': 'A word or phrase.',
    'spec.replies.keywords[].answer': 'The text sent back.',
    'spec.replies.otherwise': 'Without a queue: the answer to a reply no keyword matches. Absent: such a reply goes to the channel\'s queue.',
    'spec.replies.window': 'A reply within this long after the campaign message joins the campaign conversation.',
    'spec.replies.noReplyClose': 'Without a queue: a reply conversation is closed after this long without a customer message.',
    'spec.paused': 'Stops sending until set back to false; progress is kept.',
    'spec.stopped': 'Stops the campaign for good: contacts not reached yet are not reached.',
    'spec.message.subject': 'E-mail: the subject, a Liquid template like template.',
    'spec.message.html': 'E-mail: the HTML part, a Liquid template; template (or column) is the text part.',
    ...statusDescriptions,
    'status.conditions': `Conditions by type. \`Ready\` is True once the campaign is valid, live, and able to run; its reason is one of ${ReadyReasons.join(', ')} or, when a campaign process finds it cannot run, ${CampaignProblemReasons.join(', ')}. \`Completed\` is True once every contact was attempted; while False its reason is the state (Scheduled, Running, Paused or Stopped).`,
    'status.state': 'The Campaign actor\'s state, as the campaign processes report it: scheduled, running, paused, completed or stopped.',
    'status.startedAt': 'When it first started sending.',
    'status.endedAt': 'When it completed or was stopped.',
    'status.progress': 'Progress of the sending, as the campaign processes count it (reported every few seconds at most).',
    'status.progress.total': 'Contacts in the list.',
    'status.progress.processed': 'Contacts handled so far (sent + failed + skipped).',
    'status.progress.sent': 'Messages handed to the channel.',
    'status.progress.delivered': 'Messages the provider reported delivered.',
    'status.progress.failed': 'Messages the channel could not send.',
    'status.progress.skipped': 'Contacts skipped: opted out, on a do-not-contact list, or without an address.',
    'status.progress.skippedByReason': 'Skipped contacts by reason: opted-out, do-not-contact, no-phone, no-email.',
    'status.progress.skippedByReason{}': 'Contacts skipped for this reason.',
    'status.progress.waiting': 'Contacts waiting for their sending window to open.',
    'status.progress.replied': 'Contacts who replied within the reply window (spec.replies).',
  },
  rules: {
    'spec.message': [{ rule: 'has(self.template) != has(self.column)', message: 'message needs exactly one of template or column' }],
    'spec.replies': [{ rule: '!has(self.queue) || (!has(self.keywords) && !has(self.otherwise))', message: 'replies: keywords and otherwise answer replies only without a queue' }],
    // zod compares after applying the defaults; so does this rule (with zod's defaults).
    'spec.window': (window) => {
      const start = JSON.stringify(window.properties?.start?.default);
      const end = JSON.stringify(window.properties?.end?.default);
      return [{ rule: `(has(self.start) ? self.start : ${start}) < (has(self.end) ? self.end : ${end})`, message: 'window.start must be before window.end' }];
    },
  },
};

export const kindDefinitions: readonly KindDefinition[] = [channel, queue, campaign];

// ---------------------------------------------------------------------------------------
// zod → structural schema.

export { formatDuration } from './duration.ts';

type Node = z.core.$ZodTypes;
const asNode = (s: z.core.$ZodType): Node => s as Node;

/** A duration field of `duration.ts` (a string transformed to milliseconds), with the range it accepts. */
function durationRange(node: Node): { min: number; max: number | undefined } | undefined {
  const def = node._zod.def;
  if (def.type !== 'pipe' || asNode(def.in)._zod.def.type !== 'string' || asNode(def.out)._zod.def.type !== 'transform') return undefined;
  const accepts = (ms: number) => {
    const r = z.safeParse(node, `${ms}ms`);
    if (r.success && r.data !== ms) throw new Error(`a string transform that is not a duration: "${ms}ms" gave ${JSON.stringify(r.data)}`);
    return r.success;
  };
  if (z.safeParse(node, 'not a duration').success) return undefined;
  const seed = [0, 1, 1000, 60_000, 3_600_000, 86_400_000].find(accepts);
  if (seed === undefined) return undefined;
  let lo = 0;
  let hi = seed;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (accepts(mid)) hi = mid;
    else lo = mid + 1;
  }
  const min = lo;
  const limit = 3650 * 86_400_000;
  if (accepts(limit)) return { min, max: undefined };
  lo = seed;
  hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (accepts(mid)) lo = mid;
    else hi = mid - 1;
  }
  return { min, max: lo };
}

/** A default as written in a manifest: durations back to strings (zod holds them in milliseconds). */
function toInput(schema: z.core.$ZodType, value: unknown, path: string): unknown {
  const node = asNode(schema);
  const def = node._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'nonoptional':
    case 'default':
    case 'prefault':
      return toInput(def.innerType, value, path);
    case 'pipe':
      if (durationRange(node) && typeof value === 'number') return formatDuration(value);
      throw new Error(`${path}: cannot write the default of a transformed field back as input`);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const field = def.shape[key];
        if (!field) throw new Error(`${path}: default has unknown field ${key}`);
        out[key] = toInput(field, v, `${path}.${key}`);
      }
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => toInput(def.element, v, `${path}[]`));
    case 'record':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toInput(def.valueType, v, `${path}{}`)]));
    default:
      return value;
  }
}

const forbidden: Record<string, string> = {
  anyOf: 'unions are not structural: use an object with optional fields and a CEL rule instead',
  oneOf: 'unions are not structural: use an object with optional fields and a CEL rule instead',
  allOf: 'intersections are not structural: merge the objects instead',
  not: '"not" is not supported here',
  $ref: 'references are not allowed in CRD schemas',
  $defs: 'definitions are not allowed in CRD schemas',
  definitions: 'definitions are not allowed in CRD schemas',
  const: 'use a one-value enum',
  uniqueItems: 'Kubernetes does not allow uniqueItems: use x-kubernetes-list-type: set',
  readOnly: 'Kubernetes does not allow readOnly',
  propertyNames: 'Kubernetes cannot validate map keys in the schema',
};

/** Go's RE2 (the API server's regexp engine) has no look-around and no back-references. */
function re2Problem(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return 'look-around is not supported by RE2';
  if (/\\[1-9]/.test(pattern)) return 'back-references are not supported by RE2';
  return undefined;
}

/** zod's JSON Schema output → structural JSONSchemaProps with a fixed key order; problems name the path. */
function normalize(raw: Record<string, unknown>, path: string, problems: string[]): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === '$schema' || key === 'id') continue;
    if (key in forbidden) {
      problems.push(`${path}: ${key}: ${forbidden[key]}`);
      continue;
    }
    if (key === 'additionalProperties') {
      // `false` comes from strictObject: Kubernetes prunes unknown fields (and kubectl's
      // strict field validation rejects them); our loader rejects them too.
      if (typeof value === 'object' && value !== null) out[key] = normalize(value as Record<string, unknown>, `${path}{}`, problems);
      continue;
    }
    if (key === 'items') {
      if (Array.isArray(value) || typeof value !== 'object' || value === null) problems.push(`${path}: tuple items are not structural`);
      else out[key] = normalize(value as Record<string, unknown>, `${path}[]`, problems);
      continue;
    }
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Record<string, unknown>>).map(([k, v]) => [k, normalize(v, `${path}.${k}`, problems)]),
      );
      continue;
    }
    // zod's default bounds for int(): not limits anyone chose.
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    // Kubernetes checks date-time itself; zod's pattern for it is not worth carrying.
    if (key === 'pattern' && raw.format === 'date-time') continue;
    if (!leafKeys.has(key)) {
      problems.push(`${path}: ${key} is not supported by crd-schema.ts`);
      continue;
    }
    out[key] = value;
  }
  return out;
}

function ordered(schema: JSONSchemaProps): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const key of keyOrder) {
    const value = schema[key];
    if (value === undefined) continue;
    if (key === 'items' || key === 'additionalProperties') out[key] = ordered(value as JSONSchemaProps);
    else if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Record<string, JSONSchemaProps>).map(([k, v]) => [k, ordered(v)]));
    else out[key] = value;
  }
  return out;
}

interface Decoration {
  descriptions: Record<string, string>;
  rules: KindDefinition['rules'];
  used: Set<string>;
  problems: string[];
}

/**
 * Walks zod and its JSON Schema together: durations get their pattern and range, defaults
 * zod left out (they hold milliseconds) come back as strings, descriptions and CEL rules
 * are attached by path.
 */
function decorate(schema: z.core.$ZodType, json: JSONSchemaProps, path: string, d: Decoration): void {
  let node = asNode(schema);
  let zodDefault: { value: unknown } | undefined;
  for (;;) {
    const def = node._zod.def;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly' || def.type === 'nonoptional') node = asNode(def.innerType);
    else if (def.type === 'default') {
      zodDefault ??= { value: def.defaultValue };
      node = asNode(def.innerType);
    } else break;
  }

  if (zodDefault) {
    const input = toInput(schema, zodDefault.value, path);
    const back = z.safeParse(schema, input);
    if (!back.success || !isDeepStrictEqual(back.data, zodDefault.value)) d.problems.push(`${path}: the default ${JSON.stringify(input)} does not resolve to zod's default`);
    else if (json.default !== undefined && !isDeepStrictEqual(json.default, input)) d.problems.push(`${path}: zod's default ${JSON.stringify(json.default)} differs from ${JSON.stringify(input)}`);
    else json.default = input;
  }

  let note: string | undefined;
  const def = node._zod.def;
  if (def.type === 'pipe') {
    const range = durationRange(node);
    if (!range) d.problems.push(`${path}: a transform crd-schema.ts does not know (only durations are supported)`);
    else {
      json.pattern = DurationPattern;
      const bounds = durationBounds(range.min, range.max);
      note = `A duration such as 30s, 15m, 1h30m or 72h (units ms, s, m, h, d), ${bounds}.`;
    }
  } else if (def.type === 'object') {
    for (const [key, child] of Object.entries(json.properties ?? {})) {
      const field = def.shape[key];
      if (!field) d.problems.push(`${path}.${key}: in the JSON Schema but not in zod`);
      else decorate(field, child, `${path}.${key}`, d);
    }
  } else if (def.type === 'array' && json.items) decorate(def.element, json.items, `${path}[]`, d);
  else if (def.type === 'record' && json.additionalProperties) decorate(def.valueType, json.additionalProperties, `${path}{}`, d);

  const text = d.descriptions[path];
  if (text !== undefined) d.used.add(path);
  const description = [text, note].filter(Boolean).join(' ');
  if (description) json.description = description;
  else if (!path.endsWith('[]') && !path.endsWith('{}')) d.problems.push(`${path}: no description (add one to crd-schema.ts)`);
  const rules = d.rules[path];
  if (rules) {
    d.used.add(`rules:${path}`);
    json['x-kubernetes-validations'] = typeof rules === 'function' ? rules(json) : rules;
  }
}

function jsonSchemaOf(schema: z.core.$ZodType, path: string, d: Decoration): JSONSchemaProps {
  const raw = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', reused: 'inline', cycles: 'throw' });
  const json = normalize(raw, path, d.problems);
  decorate(schema, json, path, d);
  return json;
}

/** The whole openAPIV3Schema of one kind. Throws, listing every problem, if it would not be structural. */
export function openAPIV3Schema(k: KindDefinition): JSONSchemaProps {
  const d: Decoration = { descriptions: k.descriptions, rules: k.rules, used: new Set(), problems: [] };
  const spec = jsonSchemaOf(k.spec, 'spec', d);
  const status = jsonSchemaOf(k.status, 'status', d);
  const conditions = status.properties?.conditions;
  if (conditions) {
    conditions['x-kubernetes-list-type'] = 'map';
    conditions['x-kubernetes-list-map-keys'] = ['type'];
  }
  for (const key of Object.keys(k.descriptions)) if (!d.used.has(key)) d.problems.push(`${key}: described in crd-schema.ts but not in the schema`);
  for (const key of Object.keys(d.rules)) if (!d.used.has(`rules:${key}`)) d.problems.push(`${key}: has CEL rules in crd-schema.ts but is not in the schema`);

  const nameSchema = normalize(z.toJSONSchema(Metadata.shape.name, { target: 'openapi-3.0', io: 'input' }), 'metadata.name', d.problems);
  const root: JSONSchemaProps = {
    description: k.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { description: `APIVersion of this object: ${apiVersion}.`, type: 'string' },
      kind: { description: `Kind of this object: ${k.kind}.`, type: 'string' },
      metadata: {
        type: 'object',
        properties: {
          name: {
            ...nameSchema,
            description: 'A DNS label (lowercase letters, digits, "-", at most 63 characters): names become tokens of NATS subjects.',
            maxLength: 63,
          },
        },
      },
      spec,
      status,
    },
  };
  const problems = [...d.problems, ...structuralProblems(root)];
  if (problems.length > 0) throw new Error(`the ${k.kind} CRD schema is not valid:\n  ${problems.join('\n  ')}`);
  return ordered(root);
}

/**
 * What makes a schema non-structural, or unusable by the API server (structural-schema
 * rules of apiextensions.k8s.io/v1): every node typed, no additionalProperties next to
 * properties, required fields declared, RE2 patterns, enum values of the node's type.
 */
export function structuralProblems(schema: JSONSchemaProps, path = '(root)'): string[] {
  const problems: string[] = [];
  const raw = schema as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (key in forbidden) problems.push(`${path}: ${key}: ${forbidden[key]}`);
  if (!schema.type) problems.push(`${path}: no type`);
  if (typeof raw.additionalProperties === 'boolean') problems.push(`${path}: additionalProperties must be a schema, not a boolean`);
  if (schema.properties && schema.additionalProperties) problems.push(`${path}: properties and additionalProperties together`);
  if ((schema.properties || schema.additionalProperties) && schema.type !== 'object') problems.push(`${path}: properties on a ${schema.type}`);
  if (schema.type === 'array' && !schema.items) problems.push(`${path}: an array needs items`);
  if (schema.items && schema.type !== 'array') problems.push(`${path}: items on a ${schema.type}`);
  for (const r of schema.required ?? []) if (!schema.properties?.[r]) problems.push(`${path}: required ${r} is not a property`);
  if (schema.pattern !== undefined) {
    const p = re2Problem(schema.pattern);
    if (p) problems.push(`${path}: pattern ${schema.pattern}: ${p}`);
    if (schema.type !== 'string') problems.push(`${path}: pattern on a ${schema.type}`);
  }
  const jsType = schema.type === 'integer' ? 'number' : schema.type;
  for (const v of schema.enum ?? []) if (typeof v !== jsType) problems.push(`${path}: enum value ${JSON.stringify(v)} is not a ${schema.type}`);
  if (schema['x-kubernetes-list-type'] === 'map') {
    for (const k of schema['x-kubernetes-list-map-keys'] ?? []) if (!schema.items?.required?.includes(k)) problems.push(`${path}: list-map key ${k} must be required`);
  }
  for (const [k, v] of Object.entries(schema.properties ?? {})) problems.push(...structuralProblems(v, `${path}.${k}`));
  if (schema.items) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (schema.additionalProperties) problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}

// ---------------------------------------------------------------------------------------
// CRD objects and files.

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

export function customResourceDefinition(k: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'parley' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.singular, shortNames: k.shortNames, categories: ['parley'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: k.columns,
          schema: { openAPIV3Schema: openAPIV3Schema(k) },
        },
      ],
    },
  };
}

export const crdHeader = [
  '# generated by scripts/generate-crds.ts from src/config — do not edit.',
  '# Change the zod schemas in src/config/*-resource.ts (or the descriptions, CEL rules and',
  '# printer columns in src/config/crd-schema.ts), then run: npx tsx scripts/generate-crds.ts',
].join('\n');

/** The files of `crds/`, by name, as the generator writes them. */
export function crdFiles(): { file: string; text: string }[] {
  return kindDefinitions.map((k) => {
    const crd = customResourceDefinition(k);
    // YAML 1.1 quoting: kubectl reads YAML 1.1, where a bare `off` or `yes` is a boolean.
    const yaml = stringify(crd, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
    return { file: `${crd.metadata.name}.yaml`, text: `${crdHeader}\n${yaml}` };
  });
}
