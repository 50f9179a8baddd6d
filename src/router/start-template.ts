import type { ErrorCode, OutboundMessage, StartTemplate } from '../contract/index.ts';
import { fillTemplateBody, parameterCountOf, type ChannelConfig } from '../config/index.ts';

/** The first message of an agent-started conversation: the text stored in the history, and the template sent instead of it. */
export interface FirstMessage {
  text: string;
  template?: NonNullable<OutboundMessage['template']> | undefined;
}

export type FirstMessageCheck = { ok: true; first: FirstMessage } | { ok: false; error: ErrorCode; message: string };

/**
 * A template start as WhatsApp takes it: the channel's approved template by name and
 * language, its parameters as the `body` component (Cloud API `components[].parameters[]`
 * of type text), and the body filled in, which the history shows because it is what the
 * customer reads.
 */
export function templateFirstMessage(channel: ChannelConfig, ref: StartTemplate): FirstMessageCheck {
  if (channel.type !== 'whatsapp') return { ok: false, error: 'templateNotSupported', message: `a ${channel.type} channel sends no templates: give text` };
  const template = channel.whatsapp?.templates.find((t) => t.name === ref.name && t.language === ref.language);
  if (!template) return { ok: false, error: 'unknownTemplate', message: `channel ${channel.name} lists no template ${ref.name} in ${ref.language}` };
  const expected = parameterCountOf(template);
  if (ref.parameters.length !== expected) {
    return { ok: false, error: 'invalidTemplateParameters', message: `template ${ref.name} takes ${expected} parameter${expected === 1 ? '' : 's'}, not ${ref.parameters.length}` };
  }
  const text = fillTemplateBody(template.body, ref.parameters);
  const components = expected === 0 ? undefined : [{ type: 'body', parameters: ref.parameters.map((p) => ({ type: 'text', text: p })) }];
  return { ok: true, first: { text, template: { name: template.name, language: template.language, ...(components && { components }) } } };
}
