/**
 * A WhatsApp template body's positional parameters, `{{1}}`, `{{2}}`…: shared by the
 * Channel schema, the router (the text the history stores) and the desktop's preview, and
 * free of zod so the web app can import it.
 */

const placeholder = /\{\{(\d+)\}\}/g;

/** The positional parameters a body uses, in number order (`{{1}}` … `{{n}}`). */
export function placeholdersOf(body: string): number[] {
  return [...new Set([...body.matchAll(placeholder)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

/**
 * The body as the customer reads it: each `{{n}}` replaced by the n-th parameter (one not
 * given yet stays `{{n}}`, as the desktop's preview shows it).
 */
export function fillTemplateBody(body: string, parameters: readonly string[]): string {
  return body.replace(placeholder, (whole, n: string) => parameters[Number(n) - 1] || whole);
}
