import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff, Controller, TerminalError, WorkQueue, type EventSource } from '../../operator/index.ts';

/** An informer stand-in: emits add/update/delete to whoever listens. */
class FakeSource implements EventSource<KubernetesObject> {
  private readonly handlers = new Map<string, Set<(obj: KubernetesObject) => void>>();
  on(verb: string, cb: (obj: KubernetesObject) => void) {
    if (!this.handlers.has(verb)) this.handlers.set(verb, new Set());
    this.handlers.get(verb)?.add(cb);
  }
  off(verb: string, cb: (obj: KubernetesObject) => void) {
    this.handlers.get(verb)?.delete(cb);
  }
  emit(verb: 'add' | 'update' | 'delete', namespace: string, name: string) {
    for (const cb of this.handlers.get(verb) ?? []) cb({ metadata: { namespace, name } });
  }
}

/** A promise and its resolver, to hold a reconcile in progress. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('WorkQueue', () => {
  it('merges a key added again while it waits', async () => {
    const q = new WorkQueue();
    q.add('demo/a');
    q.add('demo/b');
    q.add('demo/a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('demo/a');
    expect(await q.get()).toBe('demo/b');
  });

  it('holds back a key added while it is processed until done, then hands it out once', async () => {
    const q = new WorkQueue();
    q.add('demo/a');
    const key = await q.get();
    q.add('demo/a');
    q.add('demo/a');
    expect(q.length).toBe(0); // not handed to a second worker
    q.done(key ?? '');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('demo/a');
  });

  it('resolves waiting workers with undefined on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });
});

describe('Backoff', () => {
  it('doubles from 500 ms up to 5 min per key, and forgets', () => {
    const b = new Backoff();
    const delays = Array.from({ length: 12 }, () => b.next('demo/a'));
    expect(delays.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(delays.at(-1)).toBe(300_000);
    expect(b.next('demo/b')).toBe(500);
    b.forget('demo/a');
    expect(b.next('demo/a')).toBe(500);
  });
});

describe('Controller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reconciles each key by one worker at a time and merges the changes made meanwhile', async () => {
    const held = gate();
    const calls: string[] = [];
    let running = 0;
    let maxRunningForA = 0;
    const controller = new Controller({
      name: 'test',
      workers: 4,
      reconcile: async (key) => {
        calls.push(key);
        if (key === 'demo/a') {
          running++;
          maxRunningForA = Math.max(maxRunningForA, running);
          if (calls.filter((c) => c === 'demo/a').length === 1) await held.opened;
          running--;
        }
      },
    });
    const source = new FakeSource();
    controller.watch(source);
    controller.start();
    source.emit('add', 'demo', 'a');
    await vi.waitFor(() => expect(calls).toEqual(['demo/a']));
    // Three changes while the first reconcile is in progress: one more reconcile, later.
    source.emit('update', 'demo', 'a');
    source.emit('update', 'demo', 'a');
    source.emit('add', 'demo', 'b');
    await vi.waitFor(() => expect(calls).toEqual(['demo/a', 'demo/b']));
    held.open();
    await vi.waitFor(() => expect(calls).toEqual(['demo/a', 'demo/b', 'demo/a']));
    await controller.stop();
    expect(maxRunningForA).toBe(1);
  });

  it('maps events of another kind to dependents', async () => {
    const calls: string[] = [];
    const controller = new Controller({ name: 'test', reconcile: (key) => Promise.resolve(void calls.push(key)) });
    const queues = new FakeSource();
    controller.watch(queues, (obj) => [`${obj.metadata?.namespace}/dependent-1`, `${obj.metadata?.namespace}/dependent-2`]);
    controller.start();
    queues.emit('delete', 'demo', 'support');
    await vi.waitFor(() => expect(calls.sort()).toEqual(['demo/dependent-1', 'demo/dependent-2']));
    await controller.stop();
    // Stopped: events no longer reach it.
    queues.emit('add', 'demo', 'other');
    expect(calls).toHaveLength(2);
  });

  it('retries a thrown error with exponential backoff until it succeeds', async () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    const controller = new Controller({
      name: 'test',
      backoff: { baseMs: 100, maxMs: 1_000 },
      reconcile: () => {
        attempts.push(Date.now());
        return attempts.length < 5 ? Promise.reject(new Error('bucket unreachable')) : Promise.resolve();
      },
    });
    controller.start();
    controller.enqueue('demo/a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] ?? 0));
    expect(gaps).toEqual([100, 200, 400, 800]);
    await controller.stop();
  });

  it('does not requeue a TerminalError', async () => {
    vi.useFakeTimers();
    let attempts = 0;
    const controller = new Controller({ name: 'test', reconcile: () => Promise.reject(new TerminalError(`refused (attempt ${++attempts})`)) });
    controller.start();
    controller.enqueue('demo/a');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(attempts).toBe(1);
    // A new change is reconciled again.
    controller.enqueue('demo/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(2);
    await controller.stop();
  });

  it('resync enqueues every listed key periodically', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const controller = new Controller({ name: 'test', reconcile: (key) => Promise.resolve(void calls.push(key)) });
    controller.resync(60_000, () => ['demo/a', 'demo/b']);
    controller.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(calls).toEqual(['demo/a', 'demo/b', 'demo/a', 'demo/b']);
    await controller.stop();
  });
});
