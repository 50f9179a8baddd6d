import { Liquid } from 'liquidjs';

/**
 * Notification bodies from LiquidJS templates. Strict: a variable the data does not have
 * or an unknown filter is an error (the request is refused, nothing is sent), never an
 * empty hole in a message to a customer. No file system: templates come in the request.
 * Limits keep one request from taking the process's time or memory.
 */
const options = {
  strictVariables: true,
  strictFilters: true,
  // `default` and `if` may test a variable that is absent: that is how fallbacks are written.
  lenientIf: true,
  ownPropertyOnly: true,
  relativeReference: false,
  parseLimit: 100_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
} as const;
const text = new Liquid(options);
// HTML parts escape what they output (`{{ name }}` cannot inject markup).
const html = new Liquid({ ...options, outputEscape: 'escape' });

/** A template that cannot be parsed or rendered with the data given. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export async function renderTemplate(source: string, data: Record<string, unknown>, kind: 'text' | 'html' = 'text'): Promise<string> {
  const engine = kind === 'html' ? html : text;
  try {
    return String(await engine.parseAndRender(source, data));
  } catch (err) {
    // LiquidJS's messages name the variable or tag and the line: enough for the caller.
    throw new TemplateError(`template: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}
