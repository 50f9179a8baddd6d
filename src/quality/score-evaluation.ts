import type { EvaluationAnswers, EvaluationFormDefinition } from './evaluation-form.ts';

export interface EvaluationScore {
  /** Σ(group points × weight) / Σ(group possible × weight), in percent. */
  score: number;
  /** Points over points possible of the critical questions, in percent; null without any. */
  criticalScore: number | null;
}

export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}

const percent = (part: number, whole: number) => Math.round((part / whole) * 10_000) / 100;

/**
 * Scores answers against a form as Genesys Cloud does: each group's points and points
 * possible are weighted by the group's weight; a "not applicable" answer counts 0 of 0;
 * critical questions also make up a separate critical score. Every question must be
 * answered (or marked not applicable where allowed).
 * @throws EvaluationError naming the question that is missing, unknown or wrongly answered.
 */
export function scoreEvaluation(form: EvaluationFormDefinition, answers: EvaluationAnswers): EvaluationScore {
  const known = new Set(form.groups.flatMap((g) => g.questions.map((q) => q.id)));
  for (const id of Object.keys(answers)) if (!known.has(id)) throw new EvaluationError(`${id}: not a question of this form`);
  let weighted = 0;
  let weightedPossible = 0;
  let critical = 0;
  let criticalPossible = 0;
  for (const group of form.groups) {
    let points = 0;
    let possible = 0;
    for (const q of group.questions) {
      const answer = answers[q.id];
      if (answer === undefined) throw new EvaluationError(`${q.id}: not answered`);
      if (answer === 'na') {
        if (!q.allowNotApplicable) throw new EvaluationError(`${q.id}: may not be answered "not applicable"`);
        continue;
      }
      const chosen = q.answers[answer];
      if (!chosen) throw new EvaluationError(`${q.id}: answer ${answer} does not exist`);
      const max = Math.max(...q.answers.map((a) => a.points));
      points += chosen.points;
      possible += max;
      if (q.critical) {
        critical += chosen.points;
        criticalPossible += max;
      }
    }
    weighted += points * group.weight;
    weightedPossible += possible * group.weight;
  }
  if (weightedPossible === 0) throw new EvaluationError('every question was answered "not applicable": nothing to score');
  return { score: percent(weighted, weightedPossible), criticalScore: criticalPossible === 0 ? null : percent(critical, criticalPossible) };
}
