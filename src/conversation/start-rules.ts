import type { ChannelType } from '../contract/index.ts';

/** How a channel type lets an agent start a conversation (write first). */
export type StartRule = { kind: 'never' } | { kind: 'always' } | { kind: 'within-window'; windowMs: number };

const DAY_MS = 24 * 3_600_000;

/**
 * Agent-initiated outbound per channel type. A web visitor who left cannot be reached and
 * Apple Messages for Business lets only the customer start; the Meta platforms and X take
 * free text only within 24 h of the customer's last message (outside it only an approved
 * template, which notifications and campaigns send); SMS, e-mail, LINE push and Open
 * Messaging reach the customer at any time.
 */
const rules: Record<ChannelType, StartRule> = {
  web: { kind: 'never' },
  apple: { kind: 'never' },
  whatsapp: { kind: 'within-window', windowMs: DAY_MS },
  messenger: { kind: 'within-window', windowMs: DAY_MS },
  instagram: { kind: 'within-window', windowMs: DAY_MS },
  x: { kind: 'within-window', windowMs: DAY_MS },
  line: { kind: 'always' },
  sms: { kind: 'always' },
  email: { kind: 'always' },
  open: { kind: 'always' },
};

export function startRuleOf(type: ChannelType): StartRule {
  return rules[type];
}

/** Why free text may not start a conversation now (`lastInboundAt`: the customer's last message on the channel), or undefined when it may. */
export function startRefusal(rule: StartRule, lastInboundAt: Date | undefined, now: Date): 'outboundNotAllowed' | 'outsideWindow' | undefined {
  if (rule.kind === 'never') return 'outboundNotAllowed';
  if (rule.kind === 'always') return undefined;
  return lastInboundAt && now.getTime() - lastInboundAt.getTime() < rule.windowMs ? undefined : 'outsideWindow';
}
