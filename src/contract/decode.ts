import type { z } from 'zod';
import type { ErrorCode } from './errors.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; detail: string };

/**
 * Parses bytes from the wire and validates them against a contract schema. Never throws:
 * a bad payload is a value the caller dead-letters, not an exception.
 */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array): Decoded<z.output<S>> {
  let json: unknown;
  try {
    // fatal: invalid UTF-8 is malformed, not silently replaced by U+FFFD.
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    // Parser messages quote the payload: keep only where it broke, never message content.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    return { ok: false, code: 'malformedJson', detail: position ? `invalid JSON at byte ${position}` : 'invalid JSON or UTF-8' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, code: 'invalidEnvelope', detail };
  }
  return { ok: true, value: parsed.data };
}

export function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
