/** Quality evaluation: forms, scoring (Genesys Cloud's weighted formula) and evaluations of wrapped-up or closed conversations. */
export { EvaluationFormDefinition, EvaluationAnswers } from './evaluation-form.ts';
export { scoreEvaluation, EvaluationError, type EvaluationScore } from './score-evaluation.ts';
export * from './quality-store.ts';
