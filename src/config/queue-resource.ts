import { z } from 'zod';
import { AgentId, ResourceName, Skill } from '../contract/index.ts';
import { LabelSelector, Metadata, apiVersion } from './common.ts';
import { Duration } from './duration.ts';

/** How a queue picks among eligible agents. */
export const RoutingMethods = [
  /** Every required skill; the agent idle longest. */
  'longest-idle',
  /** Every required skill; the highest proficiency in them, ties by idle time. */
  'best-skills',
  /** Every required skill; the lowest utilization. */
  'most-available',
  /** Every required skill; the agent assigned longest ago, whatever the load. */
  'rotation',
] as const;
export type RoutingMethod = (typeof RoutingMethods)[number];

export const LastAgentModes = ['any-queue', 'this-queue', 'none'] as const;

const Proficiency = z.number().int().min(1).max(5);

/** A bullseye ring: after `wait` in the previous rings, the requirements relax. */
const Ring = z.strictObject({
  /** How long a conversation stays in this ring before moving out to the next. */
  wait: Duration(1_000, 86_400_000),
  /** Skills no longer required from this ring on. */
  dropSkills: z.array(Skill).max(50).default([]),
  /** Minimum proficiency required from this ring on (lower = more agents). */
  minProficiency: Proficiency.optional(),
  /** Agents added to the members from this ring on. */
  addMembers: z.strictObject({ agents: z.array(AgentId).max(500).optional(), selector: LabelSelector.optional() }).optional(),
});

export const QueueResource = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal('Queue'),
  metadata: Metadata,
  spec: z
    .strictObject({
      /** @default "longest-idle" */
      method: z.enum(RoutingMethods).default('longest-idle'),
      /** Skills every conversation in this queue requires. @default [] */
      skills: z.array(Skill).max(50).default([]),
      /** Minimum proficiency (1–5) per required skill; a skill not listed accepts any. */
      minProficiency: z.record(Skill, Proficiency).default({}),
      /** Who may take this queue's conversations: listed agents, agents with labels, or (absent) anyone skilled. */
      members: z
        .strictObject({ agents: z.array(AgentId).max(5_000).optional(), selector: LabelSelector.optional() })
        .refine((m) => m.agents || m.selector, 'members needs agents or a selector')
        .optional(),
      /** How long an offer rings before it goes to the next agent. @default "30s" */
      alertingTimeout: Duration(1_000, 3_600_000).default(30_000),
      /** Last-agent routing inside the threading window. @default {mode: any-queue, timeout: 30s} */
      lastAgent: z
        .strictObject({
          mode: z.enum(LastAgentModes).default('any-queue'),
          /** How long to wait for the last agent before anyone may take it. */
          timeout: Duration(0, 3_600_000).default(30_000),
        })
        .default({ mode: 'any-queue', timeout: 30_000 }),
      /** How long a conversation waits for its preferred agents before anyone may take it. @default "60s" */
      preferredAgentTimeout: Duration(0, 3_600_000).default(60_000),
      /** Priority aging: the waiting order goes by priority + step per `every` waited. @default {every: 60s, step: 1} */
      aging: z
        .strictObject({ every: Duration(1_000, 86_400_000).default(60_000), step: z.number().int().min(0).max(100).default(1) })
        .default({ every: 60_000, step: 1 }),
      /** Escalation: up to 6 rings that relax the requirements over time. */
      bullseye: z
        .strictObject({
          rings: z.array(Ring).min(1).max(6),
          /** After the last ring: wait for any member (`anyone`) or overflow to another queue. @default "anyone" */
          whenExhausted: z.enum(['anyone', 'overflow']).default('anyone'),
        })
        .optional(),
      /** Conversations waiting at most; 0 means no limit. @default 0 */
      maxDepth: z.number().int().min(0).max(1_000_000).default(0),
      /** Where conversations go when the queue is full or the bullseye overflows. */
      overflow: z.strictObject({ queue: ResourceName }).optional(),
      wrapUp: z
        .strictObject({
          codes: z.array(z.strictObject({ code: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), label: z.string().min(1).max(256) })).max(500).default([]),
          /** Whether the agent must give a code before the interaction ends. @default true when codes exist */
          required: z.boolean().optional(),
          /** After-conversation work: the slot stays busy this long after the interaction ends. @default "0s" */
          afterWork: Duration(0, 3_600_000).default(0),
        })
        .optional(),
      /** Service-level target, e.g. 80 % answered within 60 s. */
      serviceLevel: z
        .strictObject({ percentage: z.number().min(1).max(100), within: Duration(1_000, 86_400_000) })
        .default({ percentage: 80, within: 60_000 }),
    })
    .refine((s) => s.maxDepth === 0 || s.overflow, { message: 'maxDepth needs an overflow queue', path: ['overflow'] })
    .refine((s) => s.bullseye?.whenExhausted !== 'overflow' || s.overflow, { message: 'bullseye.whenExhausted: overflow needs an overflow queue', path: ['overflow'] }),
});
export type QueueResource = z.infer<typeof QueueResource>;
