import { describe, expect, it } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { asParleyError, classifyDatabaseError } from './database-errors.ts';

const pgError = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it.each([
    ['22P05', 'a NUL in JSON (untranslatable character)'],
    ['22021', 'a byte sequence invalid in UTF-8'],
    ['22P02', 'invalid text representation (bad JSON)'],
    ['22001', 'a string too long for its column'],
    ['23514', 'a check constraint'],
    ['23502', 'a null in a NOT NULL column'],
    ['23503', 'a foreign key'],
  ])('calls %s (%s) a data error', (code) => {
    expect(classifyDatabaseError(pgError(code))).toBe('data');
  });

  it.each(['23505', '23P01'])('leaves %s (a race between writers, which a retry resolves) to the caller', (code) => {
    expect(classifyDatabaseError(pgError(code))).toBeUndefined();
  });

  it.each([
    pgError('57P01', 'terminating connection due to administrator command'),
    pgError('08006'),
    pgError('53300', 'too many connections'),
    pgError('ECONNREFUSED'),
    new Error('Connection terminated unexpectedly'),
    new Error('the work failed', { cause: pgError('ECONNRESET') }),
    new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], ''),
  ])('calls %s unavailable', (err) => {
    expect(classifyDatabaseError(err)).toBe('unavailable');
  });

  it('leaves anything else to the caller', () => {
    expect(classifyDatabaseError(pgError('40001'))).toBeUndefined();
    expect(classifyDatabaseError(new Error('a bug'))).toBeUndefined();
    expect(classifyDatabaseError('not an error')).toBeUndefined();
  });
});

describe('asParleyError', () => {
  it('turns a data error into a permanent invalidEnvelope carrying the server message and the cause', () => {
    const cause = pgError('23514', 'new row for relation "messages" violates check constraint "x"');
    const err = asParleyError(cause);
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: 'invalidEnvelope', retryable: false, cause });
    expect((err as Error).message).toBe('the database refused the data: new row for relation "messages" violates check constraint "x"');
  });

  it('turns an outage into a retryable unavailable, and keeps other errors as they are', () => {
    expect(asParleyError(pgError('57P01'))).toMatchObject({ code: 'unavailable', retryable: true });
    const own = new ParleyError('notPartitionOwner');
    expect(asParleyError(own)).toBe(own);
    const race = pgError('23505');
    expect(asParleyError(race)).toBe(race);
  });
});
