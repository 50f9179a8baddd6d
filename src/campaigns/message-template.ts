import { Liquid, type Template } from 'liquidjs';
import { countSmsSegments, type SmsEncoding } from '../channels/index.ts';
import { InvalidTemplateError } from './errors.ts';

/** The variables every contact has beside its list's columns. */
export const ContactVariables = ['id', 'phone', 'email', 'time_zone'] as const;

/**
 * A contact as a template sees it: its fixed fields and its list's columns. An empty or
 * missing value is null (not ''): Liquid treats '' as true, and `{% if city %}` must not.
 */
export type TemplateContact = Record<string, string | null>;

/** A campaign's message, checked once, rendered for each contact. */
export interface CompiledMessage {
  render(contact: TemplateContact): string;
}

// strictVariables: a name the contact does not have is an error, not silently empty text.
// lenientIf: `{% if vip %}` and `| default:` still work on an absent value, the way to write fallbacks.
const liquid = new Liquid({ strictVariables: true, lenientIf: true, ownPropertyOnly: true });

/**
 * Checks a campaign's `message` against the list's columns and returns its renderer.
 * `template`: a Liquid template; every variable it reads must be a contact field
 * (`ContactVariables`) or a column of the list, else `InvalidTemplateError` names it.
 * `column`: each contact's own text from that column, which the list must have.
 */
export function compileMessage(message: { template?: string | undefined; column?: string | undefined }, listColumns: readonly string[]): CompiledMessage {
  const known = new Set<string>([...ContactVariables, ...listColumns]);
  if (message.column !== undefined) {
    const column = message.column;
    if (!listColumns.includes(column)) throw new InvalidTemplateError(`the message column ${JSON.stringify(column)} is not a column of the list (it has: ${listColumns.join(', ') || 'none'})`);
    return { render: (contact) => contact[column] ?? '' };
  }
  let parsed: Template[];
  try {
    parsed = liquid.parse(message.template ?? '');
  } catch (err) {
    throw new InvalidTemplateError(`the template does not parse: ${(err as Error).message}`, { cause: err });
  }
  const unknown = [...new Set(liquid.globalVariableSegmentsSync(parsed).map((segments) => String(segments[0])))].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new InvalidTemplateError(`the template uses ${unknown.map((n) => JSON.stringify(n)).join(', ')}, not a column of the list (it has: ${[...known].join(', ')})`);
  }
  return { render: (contact) => liquid.renderSync(parsed, contact) as string };
}

/** The SMS cost of a rendered text, and whether a link in it would be split across parts. */
export interface SmsReport {
  encoding: SmsEncoding;
  segments: number;
  /** Set when a URL crosses the 160-character mark (or a part boundary): split links often arrive broken. */
  warning?: string;
}

const url = /https?:\/\/\S+/g;

/** Segments of an SMS text (GSM-7 or UCS-2) and a warning when a link straddles a part boundary. */
export function smsReport(text: string): SmsReport {
  const { encoding, segments } = countSmsSegments(text);
  const report: SmsReport = { encoding, segments };
  if (segments <= 1) return report;
  const part = encoding === 'GSM-7' ? 153 : 67;
  for (const match of text.matchAll(url)) {
    const start = match.index;
    const end = start + match[0].length;
    const boundaries = [160, ...Array.from({ length: segments }, (_, i) => (i + 1) * part)];
    const split = boundaries.find((b) => start < b && end > b);
    if (split !== undefined) {
      report.warning = `the link ${match[0]} crosses character ${split} and would be split across SMS parts (${segments} parts, ${encoding})`;
      break;
    }
  }
  return report;
}
