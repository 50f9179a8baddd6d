import { ParleyError } from '../contract/index.ts';

/**
 * What a failure of the database means for the work that hit it:
 * - `data`: the statement can never succeed with these values (SQLSTATE class 22, data
 *   exception, e.g. a NUL byte in text; class 23, integrity constraint violation). No
 *   retry helps: the message is dead-lettered at once, with the server's reason. A unique
 *   or exclusion violation (23505, 23P01) is not one: it is how a race between two writers
 *   of the same row ends, and the retry finds the row the other one wrote.
 * - `unavailable`: the server cannot be reached or is going away (connection refused,
 *   reset or terminated, shutdown, too many connections). Retry later; an HTTP caller
 *   gets 503 with `Retry-After`.
 * - `undefined`: anything else (serialization failures, bugs); the caller's own policy.
 */
export type DatabaseFailure = 'data' | 'unavailable';

// Integrity violations that a concurrent writer causes, and a retry resolves.
const raceCodes = new Set(['23505', '23P01']);

// Node socket errors and the messages pg and pg-pool throw when a connection dies.
const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const unreachableMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
];

export function classifyDatabaseError(err: unknown): DatabaseFailure | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (/^2[23][0-9A-Z]{3}$/.test(code)) return raceCodes.has(code) ? undefined : 'data';
      // 08: connection exception; 57P01–57P03: shutdown or not accepting; 53: out of resources.
      if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || /^53[0-9A-Z]{3}$/.test(code)) return 'unavailable';
      if (unreachableCodes.has(code)) return 'unavailable';
    }
    if (unreachableMessages.some((m) => e instanceof Error && e.message.includes(m))) return 'unavailable';
    if (e instanceof AggregateError && e.errors.some((inner) => classifyDatabaseError(inner) === 'unavailable')) return 'unavailable';
  }
  return undefined;
}

/** A unique or exclusion violation: a race between two writers of one row, which a retry resolves (see `classifyDatabaseError`). */
export function isWriteRace(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && raceCodes.has(code)) return true;
  }
  return false;
}

/**
 * Turns a database failure into the catalog error that says what to do about it
 * (`invalidEnvelope` is not claimed here: a data error is reported as what the server said),
 * or returns the error unchanged.
 */
export function asParleyError(err: unknown): unknown {
  if (err instanceof ParleyError) return err;
  switch (classifyDatabaseError(err)) {
    case 'unavailable':
      return new ParleyError('unavailable', 'the database is unavailable', { cause: err });
    case 'data':
      return new ParleyError('invalidEnvelope', `the database refused the data: ${(err as Error).message}`, { cause: err });
    default:
      return err;
  }
}
