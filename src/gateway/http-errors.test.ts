import { describe, expect, it } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { HttpProblem, RETRY_AFTER_SECONDS, toProblem } from './http-errors.ts';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toProblem', () => {
  it('turns database outages into 503 unavailable with Retry-After', () => {
    for (const err of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      const { problem, headers, unexpected } = toProblem(err);
      expect(problem, err.message).toMatchObject({ type: 'unavailable', status: 503 });
      expect(headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
      expect(unexpected).toBe(false);
    }
  });

  it('gives Retry-After to every 503, and keeps the headers a problem carries', () => {
    expect(toProblem(new ParleyError('unavailable', 'the gateway is shutting down')).headers).toEqual({ 'retry-after': String(RETRY_AFTER_SECONDS) });
    expect(toProblem(new HttpProblem('methodNotAllowed', undefined, { headers: { allow: 'GET' } })).headers).toEqual({ allow: 'GET' });
  });

  it('reports data the database refused as a 400, and anything unknown as a logged 500 that says nothing', () => {
    expect(toProblem(pgError('22P05', 'unsupported Unicode escape sequence')).problem).toMatchObject({ type: 'invalidEnvelope', status: 400 });
    const unknown = toProblem(new TypeError('x is undefined'));
    expect(unknown).toMatchObject({ problem: { type: 'internal', status: 500 }, unexpected: true });
    expect(unknown.problem).not.toHaveProperty('detail');
  });

  it('maps fastify client errors to catalog codes', () => {
    expect(toProblem(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).problem).toMatchObject({ type: 'payloadTooLarge', status: 413 });
  });
});
