import { z } from 'zod';
import { AgentId, ParleyError } from '../contract/index.ts';
import { archiveForm, createForm, EvaluationAnswers, EvaluationError, EvaluationFormDefinition, evaluationsOf, EvaluationRefused, listForms, recordEvaluation } from '../quality/index.ts';
import { forbidden, isStaff } from './access.ts';
import { HttpProblem } from './http-errors.ts';
import { ConversationParams } from './route-schemas.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Quality evaluation (docs/reports.md#quality-evaluation). Supervisors and admins manage
 * forms and evaluate wrapped-up or closed conversations of their tenant; an agent reads the evaluations
 * of its own work.
 */

const FormParams = z.object({ formId: z.uuid({ error: 'the formId must be a UUID' }) });
const EvaluationBody = z.strictObject({
  formId: z.uuid(),
  /** The agent evaluated; by default the last one who handled the conversation. */
  agentId: AgentId.optional(),
  answers: EvaluationAnswers,
  comment: z.string().max(4000).optional(),
});

function requireStaff(ctx: RouteContext): void {
  if (!isStaff(ctx.claims)) throw forbidden('supervisor or admin role required');
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
  throw new ParleyError('invalidEnvelope', detail);
}

export const qualityRoutes: RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/quality/forms',
    auth: 'bearer',
    body: true,
    status: 201,
    async handler(ctx) {
      requireStaff(ctx);
      return createForm(ctx.deps.db, ctx.claims.tenant, parsed(EvaluationFormDefinition, ctx.body), ctx.claims.sub);
    },
  },
  {
    method: 'GET',
    url: '/v1/quality/forms',
    auth: 'bearer',
    async handler(ctx) {
      requireStaff(ctx);
      return { forms: await listForms(ctx.deps.db, ctx.claims.tenant) };
    },
  },
  {
    method: 'DELETE',
    url: '/v1/quality/forms/:formId',
    auth: 'bearer',
    params: FormParams,
    async handler(ctx) {
      requireStaff(ctx);
      if (!(await archiveForm(ctx.deps.db, ctx.claims.tenant, ctx.params.formId!))) throw new HttpProblem('unknownForm');
      return { archived: true };
    },
  },
  {
    method: 'POST',
    url: '/v1/conversations/:id/evaluations',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    status: 201,
    async handler(ctx) {
      requireStaff(ctx);
      const body = parsed(EvaluationBody, ctx.body);
      try {
        return await recordEvaluation(ctx.deps.db, ctx.claims.tenant, { ...body, conversationId: ctx.params.id!, evaluator: ctx.claims.sub });
      } catch (err) {
        if (err instanceof EvaluationError) throw new ParleyError('invalidEnvelope', `answers.${err.message}`);
        if (err instanceof EvaluationRefused) throw err.reason === 'unknownConversation' ? new ParleyError('unknownConversation') : new HttpProblem(err.reason, err.message);
        throw err;
      }
    },
  },
  {
    method: 'GET',
    url: '/v1/conversations/:id/evaluations',
    auth: 'bearer',
    params: ConversationParams,
    async handler(ctx) {
      const evaluations = await evaluationsOf(ctx.deps.db, ctx.claims.tenant, ctx.params.id!);
      // An agent sees the evaluations of its own work on the conversation, nobody else's.
      return { evaluations: isStaff(ctx.claims) ? evaluations : evaluations.filter((e) => e.agentId === ctx.claims.sub) };
    },
  },
];
