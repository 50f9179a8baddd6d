import { describe, expect, it } from 'vitest';
import { EvaluationFormDefinition } from './evaluation-form.ts';
import { EvaluationError, scoreEvaluation } from './score-evaluation.ts';

const yesNo = [
  { label: 'Yes', points: 1 },
  { label: 'No', points: 0 },
];

// The reference's example: two groups weighted 40 and 20, (1·40 + 1·20) / (2·40 + 1·20) = 60 %.
const form = EvaluationFormDefinition.parse({
  name: 'Messaging quality',
  groups: [
    {
      name: 'Greeting',
      weight: 40,
      questions: [
        { id: 'greeted', text: 'Greeted the customer by name?', answers: yesNo, critical: true },
        { id: 'tone', text: 'Friendly tone?', answers: yesNo },
      ],
    },
    { name: 'Resolution', weight: 20, questions: [{ id: 'resolved', text: 'Resolved the request?', answers: yesNo, allowNotApplicable: true }] },
  ],
});

describe('scoreEvaluation', () => {
  it('weights each group’s points by the group’s weight', () => {
    expect(scoreEvaluation(form, { greeted: 0, tone: 1, resolved: 0 })).toEqual({ score: 60, criticalScore: 100 });
  });

  it('keeps a separate critical score', () => {
    expect(scoreEvaluation(form, { greeted: 1, tone: 0, resolved: 0 })).toEqual({ score: 60, criticalScore: 0 });
  });

  it('counts a not-applicable answer as 0 of 0', () => {
    expect(scoreEvaluation(form, { greeted: 0, tone: 0, resolved: 'na' }).score).toBe(100);
  });

  it('refuses missing, unknown and impossible answers, naming the question', () => {
    expect(() => scoreEvaluation(form, { greeted: 0, tone: 0 })).toThrow(new EvaluationError('resolved: not answered'));
    expect(() => scoreEvaluation(form, { greeted: 0, tone: 0, resolved: 0, extra: 0 })).toThrow('extra: not a question of this form');
    expect(() => scoreEvaluation(form, { greeted: 'na', tone: 0, resolved: 0 })).toThrow('greeted: may not be answered "not applicable"');
    expect(() => scoreEvaluation(form, { greeted: 5, tone: 0, resolved: 0 })).toThrow('greeted: answer 5 does not exist');
  });

  it('refuses a form whose question ids repeat', () => {
    const twice = { name: 'x', groups: [{ name: 'g', weight: 1, questions: [{ id: 'a', text: 'A', answers: yesNo }, { id: 'a', text: 'B', answers: yesNo }] }] };
    expect(EvaluationFormDefinition.safeParse(twice).success).toBe(false);
  });
});
