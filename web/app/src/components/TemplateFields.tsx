import { Fragment } from 'preact';
import { fillTemplateBody } from '../../../../src/config/template-body.ts';
import type { TemplateView } from '../../../../src/gateway/desktop-views.ts';
import { t } from '../i18n/index.ts';

/** The template the agent picked and the parameters typed so far. */
export interface TemplateChoice {
  index: number;
  parameters: string[];
}

/**
 * A WhatsApp channel's approved templates in "New message": pick one by its label, one
 * labelled field per `{{n}}`, and the preview of what the customer will read (the history
 * stores the same text).
 */
export function TemplateFields({ templates, choice, onChange }: { templates: TemplateView[]; choice: TemplateChoice; onChange: (choice: TemplateChoice) => void }) {
  const template = templates[choice.index] ?? templates[0];
  if (!template) return null;
  const parameters = Array.from({ length: template.parameterCount }, (_, i) => choice.parameters[i] ?? '');
  const setParameter = (i: number, value: string) => onChange({ ...choice, parameters: parameters.map((p, j) => (j === i ? value : p)) });
  return (
    <>
      <label for="new-message-template">{t('newMessage.template')}</label>
      <select id="new-message-template" value={String(choice.index)} onChange={(e) => onChange({ index: Number(e.currentTarget.value), parameters: [] })}>
        {templates.map((tpl, i) => (
          <option key={`${tpl.name}/${tpl.language}`} value={String(i)}>
            {tpl.label} ({tpl.language})
          </option>
        ))}
      </select>
      {parameters.map((value, i) => (
        <Fragment key={i}>
          <label for={`new-message-parameter-${i + 1}`}>{t('newMessage.parameter', { n: String(i + 1) })}</label>
          <input
            id={`new-message-parameter-${i + 1}`}
            required
            maxLength={1024}
            autocomplete="off"
            value={value}
            onInput={(e) => setParameter(i, e.currentTarget.value)}
          />
        </Fragment>
      ))}
      <p id="new-message-preview-label" class="template-preview-label">
        {t('newMessage.preview')}
      </p>
      <output class="template-preview" aria-labelledby="new-message-preview-label">
        {fillTemplateBody(template.body, parameters)}
      </output>
    </>
  );
}

/** The `template` of `POST /v1/conversations` for a choice. */
export function templateRequest(templates: TemplateView[], choice: TemplateChoice): { name: string; language: string; parameters: string[] } | undefined {
  const template = templates[choice.index];
  return template && { name: template.name, language: template.language, parameters: Array.from({ length: template.parameterCount }, (_, i) => choice.parameters[i] ?? '') };
}
