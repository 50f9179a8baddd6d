import type { InboundRule } from './resources.ts';

export interface RoutingDecision {
  queue: string;
  skills: string[];
  language: string | null;
  priority: number;
  preferredAgents: string[];
}

export interface FlowInput {
  text?: string | undefined;
  /** The message's language when the channel knows it. */
  language?: string | undefined;
  attributes?: Record<string, string> | undefined;
}

/**
 * Runs a channel's inbound flow: every matching rule contributes (skills accumulate;
 * the last matching rule's queue and priority win), starting from the channel's queue.
 */
export function runInboundFlow(rules: readonly InboundRule[], defaultQueue: string, input: FlowInput): RoutingDecision {
  const decision: RoutingDecision = { queue: defaultQueue, skills: [], language: null, priority: 0, preferredAgents: [] };
  for (const rule of rules) {
    if (!matches(rule.match, input)) continue;
    for (const s of rule.set.skills ?? []) if (!decision.skills.includes(s)) decision.skills.push(s);
    if (rule.set.queue) decision.queue = rule.set.queue;
    if (rule.set.priority !== undefined) decision.priority = rule.set.priority;
    if (rule.set.language) decision.language = primaryTag(rule.set.language);
    if (rule.set.preferredAgents) decision.preferredAgents = rule.set.preferredAgents;
  }
  return decision;
}

function matches(match: InboundRule['match'], input: FlowInput): boolean {
  const text = input.text ?? '';
  if (match.keywords) {
    const words = new Set(text.toLocaleLowerCase().split(/[^\p{L}\p{N}]+/u));
    if (!match.keywords.some((k) => words.has(k.toLocaleLowerCase()))) return false;
  }
  if (match.regex && !compiled(match.regex).test(text)) return false;
  if (match.attribute && input.attributes?.[match.attribute.name] !== match.attribute.equals) return false;
  if (match.language) {
    const language = input.language ?? input.attributes?.language;
    if (!language || primaryTag(language) !== primaryTag(match.language)) return false;
  }
  return true;
}

/** `pt-BR` → `pt`: agents are matched on the primary language. */
export function primaryTag(tag: string): string {
  return tag.split('-')[0]?.toLowerCase() ?? tag;
}

// Rules come from configuration, so this holds one entry per distinct pattern configured.
const patterns = new Map<string, RegExp>();

function compiled(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'iu')));
  return re;
}
