import { z } from 'zod';

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", up to 63');
const Text = z.string().trim().min(1).max(500);

/** One answer a question offers, worth `points`. */
const Answer = z.strictObject({ label: Text, points: z.number().int().min(0).max(100) });

const Question = z
  .strictObject({
    id: Id,
    text: Text,
    /** At least two answers; the question is worth its highest one. */
    answers: z.array(Answer).min(2).max(10),
    /** Counted again in the separate critical score (Genesys: critical questions). */
    critical: z.boolean().default(false),
    /** May be answered "not applicable": counted neither in points nor in points possible. */
    allowNotApplicable: z.boolean().default(false),
  })
  .refine((q) => q.answers.some((a) => a.points > 0), 'at least one answer must be worth points');

const Group = z.strictObject({
  name: Text,
  /** The group's share of the total score, relative to the other groups' weights. */
  weight: z.number().int().min(1).max(100),
  questions: z.array(Question).min(1).max(50),
});

/** An evaluation form as a supervisor writes it. */
export const EvaluationFormDefinition = z
  .strictObject({
    name: Text,
    groups: z.array(Group).min(1).max(20),
  })
  .refine((f) => new Set(f.groups.flatMap((g) => g.questions.map((q) => q.id))).size === f.groups.flatMap((g) => g.questions).length, {
    message: 'question ids must be unique in the form',
    path: ['groups'],
  });
export type EvaluationFormDefinition = z.infer<typeof EvaluationFormDefinition>;

/** An evaluator's answers: per question id, the index of the chosen answer, or "na". */
export const EvaluationAnswers = z.record(Id, z.union([z.number().int().min(0).max(9), z.literal('na')]));
export type EvaluationAnswers = z.infer<typeof EvaluationAnswers>;
