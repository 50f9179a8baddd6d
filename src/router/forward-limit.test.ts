import { describe, expect, it } from 'vitest';
import { ForwardLimit } from './forward-limit.ts';

describe('ForwardLimit', () => {
  it('runs at most `limit` tasks at once and starts the others in the order they came', async () => {
    const limit = new ForwardLimit(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const tasks = Array.from({ length: 5 }, (_, i) =>
      limit.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return i;
      }),
    );
    // Release whichever task runs, oldest first, until all are done.
    const settled = Promise.all(tasks);
    for (let n = 0; n < 5; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    expect(await settled).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the slot of a task that failed', async () => {
    const limit = new ForwardLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('owner away')))).rejects.toThrow('owner away');
    expect(await limit.run(() => Promise.resolve('next'))).toBe('next');
  });
});
