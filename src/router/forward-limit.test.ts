import { describe, expect, it } from 'vitest';
import { ForwardLimit } from './forward-limit.ts';

/** Tasks that run until released, noting the order they started in and how many ran at once. */
function harness(limit: ForwardLimit) {
  const started: string[] = [];
  const release: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const run = (key: string, name = key) =>
    limit.run(key, async () => {
      started.push(name);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      return name;
    });
  /** Releases the running tasks one by one, oldest first, until `count` have ended. */
  const drain = async (count: number) => {
    for (let n = 0; n < count; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
  };
  return { run, drain, started, most: () => most };
}

describe('ForwardLimit', () => {
  it('runs at most `limit` tasks at once and starts those of one lane in the order they came', async () => {
    const h = harness(new ForwardLimit(2));
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((key) => h.run(key));
    const settled = Promise.all(tasks);
    await h.drain(5);
    expect(await settled).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.most()).toBe(2);
  });

  it('gives a new key every other freed slot, ahead of a backlog of follow-ups', async () => {
    const limit = new ForwardLimit(1);
    const h = harness(limit);
    // Four customers seen before: their next messages are follow-ups.
    const seen = ['a', 'b', 'c', 'd'].map((key) => h.run(key, `${key}1`));
    await h.drain(4);
    await Promise.all(seen);
    h.started.length = 0;

    const tasks = [h.run('a', 'a2'), h.run('b', 'b2'), h.run('c', 'c2'), h.run('d', 'd2'), h.run('new', 'new1'), h.run('newer', 'newer1')];
    await h.drain(6);
    await Promise.all(tasks);
    // a2 had the free slot; then the lanes take turns.
    expect(h.started).toEqual(['a2', 'new1', 'b2', 'newer1', 'c2', 'd2']);
  });

  it('keeps one key in order: its next messages wait behind its first in the same lane', async () => {
    const h = harness(new ForwardLimit(1));
    const tasks = [h.run('busy', 'busy1'), h.run('busy', 'busy2'), h.run('fresh', 'fresh1'), h.run('fresh', 'fresh2'), h.run('busy', 'busy3')];
    await h.drain(5);
    await Promise.all(tasks);
    expect(h.started.filter((n) => n.startsWith('fresh'))).toEqual(['fresh1', 'fresh2']);
    expect(h.started.filter((n) => n.startsWith('busy'))).toEqual(['busy1', 'busy2', 'busy3']);
  });

  it('frees the slot of a task that failed', async () => {
    const limit = new ForwardLimit(1);
    await expect(limit.run('a', () => Promise.reject(new Error('owner away')))).rejects.toThrow('owner away');
    expect(await limit.run('b', () => Promise.resolve('next'))).toBe('next');
  });
});
