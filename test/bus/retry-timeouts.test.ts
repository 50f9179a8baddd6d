import { TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isNatsTimeout, retryTimeouts } from '../../src/bus/index.ts';

describe('retryTimeouts', () => {
  it('asks again while NATS times out, and resolves with the first answer', async () => {
    let calls = 0;
    const retries: number[] = [];
    const answer = await retryTimeouts(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new TimeoutError()) : Promise.resolve('bucket');
      },
      { onRetry: (_err, attempts) => retries.push(attempts) },
    );
    expect(answer).toBe('bucket');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const refused = retryTimeouts(() => {
      calls++;
      return Promise.reject(new Error('permissions violation'));
    });
    await expect(refused).rejects.toThrow('permissions violation');
    expect(calls).toBe(1);
  });

  it('gives up with the timeout once the deadline has passed', async () => {
    let calls = 0;
    const late = retryTimeouts(
      () => {
        calls++;
        return Promise.reject(new TimeoutError());
      },
      { deadlineMs: 600 },
    );
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    // 0.25 s, then 0.5 s would pass the deadline: two attempts.
    expect(calls).toBe(2);
  });

  it('recognizes a timeout wrapped by the JetStream client', () => {
    expect(isNatsTimeout(new Error('request failed', { cause: new TimeoutError() }))).toBe(true);
    expect(isNatsTimeout(new Error('timeout'))).toBe(false);
  });
});
