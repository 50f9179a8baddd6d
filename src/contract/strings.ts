import { z } from 'zod';

/**
 * The rules every string field of an envelope follows (contract.md §4).
 *
 * PostgreSQL can store neither NUL (U+0000) nor, inside JSON, a lone surrogate (half of a
 * UTF-16 pair, which JSON's `\ud800` escape can produce), so a field holding one could
 * never be stored. NUL is refused in every field. A lone surrogate is refused in ids and
 * machine data, where replacing it would make two different values equal (two customers
 * one), and replaced by U+FFFD in text shown to people, where nothing depends on the exact
 * value.
 *
 * Lengths count UTF-16 code units, like JavaScript's `length`, a browser's `maxlength` and
 * the gateway SDK: zod's own `max` counts code points (an emoji is then 1, not 2).
 */

export interface Limits {
  /** @default 0 */
  min?: number;
  max: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// ES2024's native checks (Node 20, current browsers) are many times faster than the
// regular expression on long texts; the expression stays for older runtimes.
type Es2024String = { isWellFormed?(): boolean };
const isWellFormed = (value: string): boolean => {
  const native = (value as Es2024String).isWellFormed?.();
  if (native !== undefined) return native;
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(value);
};
const toWellFormed = (value: string): string => (isWellFormed(value) ? value : value.replace(LONE_SURROGATE, '\uFFFD'));

/** The NUL and length rules, as checks on a string schema. */
function checked<T extends z.ZodType<string>>(schema: T, { min = 0, max }: Limits): T {
  return schema.check((ctx) => {
    const value = ctx.value;
    if (value.includes('\u0000')) ctx.issues.push({ code: 'custom', message: 'must not contain NUL (U+0000)', input: value });
    if (value.length > max) {
      ctx.issues.push({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: value, message: `must be at most ${max} UTF-16 code units` });
    } else if (value.length < min) {
      ctx.issues.push({ code: 'too_small', origin: 'string', minimum: min, inclusive: true, input: value, message: `must be at least ${min} UTF-16 code unit${min === 1 ? '' : 's'}` });
    }
  });
}

/** Refuses a lone surrogate: for values compared or stored exactly (ids, payloads, URLs). */
export function rejectLoneSurrogates<T extends z.ZodType<string>>(schema: T): T {
  return schema.check((ctx) => {
    if (!isWellFormed(ctx.value)) ctx.issues.push({ code: 'custom', message: 'must not contain a lone UTF-16 surrogate', input: ctx.value });
  });
}

/** Ids and machine data: no NUL, no lone surrogate, `min`–`max` UTF-16 code units. */
export function exactText(limits: Limits) {
  return rejectLoneSurrogates(checked(z.string(), limits));
}

/** Text shown to people: no NUL, lone surrogates become U+FFFD, `min`–`max` UTF-16 code units. */
export function displayText(limits: Limits) {
  return checked(z.string(), limits).overwrite(toWellFormed);
}

/**
 * Keys an object of the contract never takes from the wire: JSON.parse makes `__proto__` an
 * own key that zod drops without a word (its value unchecked), and `constructor` and
 * `prototype` shadow what code reading the object expects there.
 */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** A record (object of key → value) whose keys are checked before zod sees them. */
export function safeRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V) {
  return z
    .unknown()
    .check((ctx) => {
      if (typeof ctx.value !== 'object' || ctx.value === null) return;
      for (const k of Object.keys(ctx.value)) {
        if (RESERVED_KEYS.includes(k)) ctx.issues.push({ code: 'custom', message: `"${k}" is a reserved key`, input: ctx.value, path: [k] });
      }
    })
    .pipe(z.record(key, value));
}
