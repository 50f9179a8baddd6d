import { describe, expect, it } from 'vitest';
import { causeChain, DependencyError, redactUrl } from './dependency-error.ts';

describe('redactUrl', () => {
  it.each([
    ['postgres://parley:s3cret@db:5432/parley', 'postgres://parley:***@db:5432/parley'],
    ['postgres://db:5432/parley?password=s3cret&sslmode=require', 'postgres://db:5432/parley?***'],
    ['nats://t0ken@nats:4222', 'nats://***@nats:4222'],
    ['nats://a:s3cret@n1:4222,nats://a:s3cret@n2:4222', 'nats://a:***@n1:4222,nats://a:***@n2:4222'],
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['pglite:/home/me/.parley/pglite', 'pglite:/home/me/.parley/pglite'],
  ])('%s → %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});

describe('DependencyError', () => {
  it('names the dependency, the address, what failed and the cause on one line, and keeps the cause', () => {
    const cause = new Error('connection refused');
    const err = new DependencyError('NATS', 'nats://127.0.0.1:4222', 'cannot connect', { cause });
    expect(err.message).toBe('NATS at nats://127.0.0.1:4222: cannot connect: connection refused');
    expect(err.cause).toBe(cause);
    expect(err.dependency).toBe('NATS');
  });

  it('uses the error code when the cause has no message (an AggregateError of refused addresses)', () => {
    const cause = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(new DependencyError('PostgreSQL', 'postgres://localhost/x', 'cannot connect', { cause }).message).toBe('PostgreSQL at postgres://localhost/x: cannot connect: ECONNREFUSED');
  });

  it('causeChain lists the causes below, leaving out a message already told', () => {
    const deep = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const err = new DependencyError('Kubernetes API', 'https://k8s', 'cannot reach the API server', { cause: new TypeError('fetch failed', { cause: deep }) });
    expect(causeChain(err)).toEqual(['Error: connect ECONNREFUSED 127.0.0.1:1']);
  });
});
