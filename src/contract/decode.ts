import type { z } from 'zod';
import type { ErrorCode } from './errors.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; detail: string };

/**
 * Parses bytes from the wire and validates them against a contract schema. Never throws:
 * a bad payload is a value the caller dead-letters, not an exception.
 */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array): Decoded<z.output<S>> {
  let text: string;
  try {
    // fatal: invalid UTF-8 is malformed, not silently replaced by U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, code: 'malformedJson', detail: 'invalid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'malformedJson', detail: jsonErrorDetail(text, err) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${pathOf(i.path) || '(root)'}: ${messageOf(i)}`)
      .join('; ');
    return { ok: false, code: 'invalidEnvelope', detail };
  }
  return { ok: true, value: parsed.data };
}

/**
 * A field path for people (and a NATS header): keys come from the payload, so one with a
 * control character, a lone surrogate, a dot or a quote is written as a JSON string.
 */
function pathOf(path: readonly PropertyKey[]): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  return path.map((key) => (typeof key === 'string' && !/^[^\u0000-\u001f\u007f\ud800-\udfff."\s]+$/.test(key) ? JSON.stringify(key) : String(key))).join('.');
}

/** A record's bad key is reported as what is wrong with it, not only that it is wrong. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0]) return `invalid key: ${issue.issues[0].message}`;
  return issue.message;
}

/**
 * Where the JSON broke, as a byte offset into the payload. Parser messages quote the
 * payload: keep only the position, never message content. Some of V8's messages give no
 * position (an unexpected token, the end of the input).
 */
function jsonErrorDetail(text: string, err: unknown): string {
  const position = /at position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  if (position === undefined) return 'invalid JSON';
  return `invalid JSON at byte ${new TextEncoder().encode(text.slice(0, Number(position))).length}`;
}

export function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
