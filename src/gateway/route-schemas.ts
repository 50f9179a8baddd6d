import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { AgentId, ParleyError } from '../contract/index.ts';

/**
 * What each route accepts, as zod schemas on the fastify routes (the contract's own
 * types), checked at the edge before a handler runs: an id PostgreSQL or a NATS subject
 * would choke on (a NUL byte, `*`) is a 400 naming the field, never a 500.
 */

const uuid = (name: string) => z.uuid({ error: `the ${name} must be a UUID` });

export const AgentParams = z.object({ agentId: AgentId });
export const OfferParams = z.object({ agentId: AgentId, offerId: uuid('offerId') });
export const ConversationParams = z.object({ id: uuid('conversationId') });

/**
 * A request body: any JSON object (the command's own schema in the contract checks its
 * fields). An empty body reads as `{}`, so optional bodies need no care.
 */
export const ObjectBody = z.preprocess(
  (value) => value ?? {},
  z.record(z.string(), z.unknown(), { error: 'the body must be a JSON object' }),
);

/** Fastify's validator compiler for zod schemas; failures are `invalidEnvelope` listing up to five `field: problem`. */
export const zodValidator: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    return { error: new ParleyError('invalidEnvelope', describeIssues(parsed.error.issues)) };
  };

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
