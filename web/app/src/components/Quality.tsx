import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import type { Api } from '../api.ts';
import type { EvaluationAnswers, EvaluationFormDefinition, EvaluationFormView, EvaluationView } from '../../../../src/quality/index.ts';
import { field } from '../form-field.ts';
import { t } from '../i18n/index.ts';

type Group = EvaluationFormDefinition['groups'][number];
type Question = Group['questions'][number];

const message = (err: unknown) => (err instanceof ApiError ? err.message : String(err));

/**
 * Quality evaluation (docs/reports.md): supervisors write forms (groups with weights,
 * questions with answers worth points) and score closed conversations with them; the
 * scores show in the agent report.
 */
export function Quality({ api, conversationId }: { api: Api; conversationId?: string }) {
  const [forms, setForms] = useState<EvaluationFormView[]>([]);
  const [error, setError] = useState<string | undefined>();
  const reload = () => api.evaluationForms().then((r) => setForms(r.forms), (err: unknown) => setError(message(err)));
  useEffect(() => void reload(), [api]);
  const active = forms.filter((f) => !f.archived);
  return (
    <section class="live quality" aria-labelledby="quality-heading">
      <h2 id="quality-heading">{t('quality.heading')}</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <Evaluate api={api} forms={active} conversationId={conversationId} />
      <table>
        <caption>{t('quality.forms')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('quality.formName')}</th>
            <th scope="col">{t('quality.questions')}</th>
            <th scope="col">{t('quality.createdBy')}</th>
            <th scope="col">
              <span class="sr-only">{t('quality.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {active.map((f) => (
            <tr key={f.id}>
              <th scope="row">{f.name}</th>
              <td>{f.definition.groups.reduce((n, g) => n + g.questions.length, 0)}</td>
              <td>{f.createdBy}</td>
              <td>
                <button type="button" onClick={() => void api.archiveEvaluationForm(f.id).then(reload, (err: unknown) => setError(message(err)))}>
                  {t('quality.archive', { name: f.name })}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <FormBuilder api={api} onCreated={() => void reload()} />
    </section>
  );
}

/** Scores one closed conversation with a form: one radio group per question. */
function Evaluate({ api, forms, conversationId }: { api: Api; forms: EvaluationFormView[]; conversationId?: string | undefined }) {
  const [formId, setFormId] = useState<string | undefined>();
  const [result, setResult] = useState<EvaluationView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const form = forms.find((f) => f.id === formId) ?? forms[0];
  if (!form) return <p>{t('quality.noForm')}</p>;

  const submit = async (element: HTMLFormElement) => {
    const data = new FormData(element);
    const answers: EvaluationAnswers = {};
    for (const q of form.definition.groups.flatMap((g) => g.questions)) {
      const chosen = field(data, `q-${q.id}`);
      if (chosen) answers[q.id] = chosen === 'na' ? 'na' : Number(chosen);
    }
    const comment = field(data, 'comment').trim();
    try {
      setError(undefined);
      setResult(await api.evaluate(field(data, 'conversation').trim(), { formId: form.id, answers, ...(comment && { comment }) }));
    } catch (err) {
      setResult(undefined);
      setError(message(err));
    }
  };
  return (
    <form
      class="evaluate"
      aria-labelledby="evaluate-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <h3 id="evaluate-heading">{t('quality.evaluate')}</h3>
      <label>
        {t('quality.conversation')}
        <input name="conversation" required value={conversationId ?? ''} />
      </label>
      <label>
        {t('quality.form')}
        <select value={form.id} onChange={(e) => setFormId(e.currentTarget.value)}>
          {forms.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      </label>
      {form.definition.groups.map((g) => (
        <fieldset key={g.name}>
          <legend>{t('quality.group', { name: g.name, weight: g.weight })}</legend>
          {g.questions.map((q) => (
            <fieldset key={q.id} class="question">
              <legend>
                {q.text}
                {q.critical && ` (${t('quality.critical')})`}
              </legend>
              {q.answers.map((a, i) => (
                <label key={i}>
                  <input type="radio" name={`q-${q.id}`} value={String(i)} required />
                  {t('quality.answer', { label: a.label, points: a.points })}
                </label>
              ))}
              {q.allowNotApplicable && (
                <label>
                  <input type="radio" name={`q-${q.id}`} value="na" />
                  {t('quality.notApplicable')}
                </label>
              )}
            </fieldset>
          ))}
        </fieldset>
      ))}
      <label>
        {t('quality.comment')}
        <textarea name="comment" maxLength={4000} />
      </label>
      <button type="submit">{t('quality.submit')}</button>
      <p role="status">
        {result &&
          (result.criticalScore === null
            ? t('quality.scored', { agent: result.agentId, score: result.score })
            : t('quality.scoredCritical', { agent: result.agentId, score: result.score, critical: result.criticalScore }))}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

const blankQuestion = (): Question => ({ id: '', text: '', answers: [{ label: 'Yes', points: 1 }, { label: 'No', points: 0 }], critical: false, allowNotApplicable: false });
const blankGroup = (): Group => ({ name: '', weight: 1, questions: [blankQuestion()] });

/** "Yes = 1" lines to answers; a line without "= points" is worth 0. */
function answersOf(text: string): Question['answers'] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^(.*?)\s*=\s*(\d+)$/.exec(line);
      return m ? { label: m[1]!, points: Number(m[2]) } : { label: line, points: 0 };
    });
}

/** A new form: groups of questions, each answer on its own line as "label = points". */
function FormBuilder({ api, onCreated }: { api: Api; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [groups, setGroups] = useState<Group[]>([blankGroup()]);
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<string | undefined>();
  const setGroup = (gi: number, patch: Partial<Group>) => setGroups(groups.map((g, i) => (i === gi ? { ...g, ...patch } : g)));
  const setQuestion = (gi: number, qi: number, patch: Partial<Question>) =>
    setGroup(gi, { questions: groups[gi]!.questions.map((q, i) => (i === qi ? { ...q, ...patch } : q)) });

  const create = async () => {
    // Question ids are the form's own: q1, q2… in order.
    let n = 0;
    const definition: EvaluationFormDefinition = { name, groups: groups.map((g) => ({ ...g, questions: g.questions.map((q) => ({ ...q, id: `q${++n}` })) })) };
    try {
      setError(undefined);
      const form = await api.createEvaluationForm(definition);
      setCreated(form.name);
      setName('');
      setGroups([blankGroup()]);
      onCreated();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <form
      class="form-builder"
      aria-labelledby="builder-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h3 id="builder-heading">{t('quality.newForm')}</h3>
      <label>
        {t('quality.formName')}
        <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {groups.map((g, gi) => (
        <fieldset key={gi}>
          <legend>{t('quality.groupN', { n: gi + 1 })}</legend>
          <label>
            {t('quality.groupName')}
            <input required value={g.name} onInput={(e) => setGroup(gi, { name: e.currentTarget.value })} />
          </label>
          <label>
            {t('quality.weight')}
            <input type="number" min={1} max={100} required value={g.weight} onInput={(e) => setGroup(gi, { weight: Number(e.currentTarget.value) })} />
          </label>
          {g.questions.map((q, qi) => (
            <fieldset key={qi} class="question">
              <legend>{t('quality.questionN', { n: qi + 1 })}</legend>
              <label>
                {t('quality.questionText')}
                <input required value={q.text} onInput={(e) => setQuestion(gi, qi, { text: e.currentTarget.value })} />
              </label>
              <label>
                {t('quality.answers')}
                <textarea
                  required
                  value={q.answers.map((a) => `${a.label} = ${a.points}`).join('\n')}
                  onChange={(e) => setQuestion(gi, qi, { answers: answersOf(e.currentTarget.value) })}
                />
              </label>
              <label>
                <input type="checkbox" checked={q.critical} onChange={(e) => setQuestion(gi, qi, { critical: e.currentTarget.checked })} />
                {t('quality.critical')}
              </label>
              <label>
                <input type="checkbox" checked={q.allowNotApplicable} onChange={(e) => setQuestion(gi, qi, { allowNotApplicable: e.currentTarget.checked })} />
                {t('quality.allowNotApplicable')}
              </label>
            </fieldset>
          ))}
          <button type="button" onClick={() => setGroup(gi, { questions: [...g.questions, blankQuestion()] })}>
            {t('quality.addQuestion')}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => setGroups([...groups, blankGroup()])}>
        {t('quality.addGroup')}
      </button>
      <button type="submit">{t('quality.create')}</button>
      <p role="status">{created && t('quality.created', { name: created })}</p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
