import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../src/observability/index.ts';
import { Backoff, WorkQueue, type BackoffOptions } from './work-queue.ts';

/**
 * A failure that retrying cannot fix (controller-runtime's `TerminalError`): the key is not
 * requeued. The next change to the object, or the periodic resync, tries again.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

/** The informer surface a controller needs: change notifications. */
export interface EventSource<T extends KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  off(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
}

export type ObjectEvent = 'add' | 'update' | 'delete';

export interface ControllerOptions {
  /** For logs, e.g. the kind it reconciles. */
  name: string;
  /**
   * Brings the world in line with the latest state of `key` (`namespace/name`). Throwing
   * requeues the key with exponential backoff, except for a `TerminalError`.
   */
  reconcile(key: string): Promise<void>;
  /** Keys reconciled at the same time (each key by one worker at a time). @default 4 */
  workers?: number;
  /** Retry delays after a thrown error. @default 500 ms doubling up to 5 min */
  backoff?: BackoffOptions;
  logger?: Logger;
}

/** `namespace/name`. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The namespace and name of a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The key of an object from an informer. */
export function keyOf(obj: KubernetesObject): string {
  return objectKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
}

/**
 * A level-triggered controller: informers enqueue `namespace/name` keys, workers take a key
 * and call `reconcile`, which reads the latest state and acts on it. It never acts on the
 * event itself, so missed, repeated or merged events are harmless.
 */
export class Controller {
  private readonly queue = new WorkQueue();
  private readonly backoff: Backoff;
  private readonly workers: Promise<void>[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;
  private stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.backoff = new Backoff(options.backoff);
  }

  /** Queues a key now (merged with the same key if it is already waiting). */
  enqueue(key: string): void {
    if (!this.stopped) this.queue.add(key);
  }

  /**
   * Enqueues the keys `map` returns for every add, update and delete `source` reports —
   * by default the object's own key. Another kind's source maps to its dependents.
   */
  watch<T extends KubernetesObject>(source: EventSource<T>, map: (obj: T, event: ObjectEvent) => Iterable<string> = (obj) => [keyOf(obj)]): void {
    for (const event of ['add', 'update', 'delete'] as const) {
      const handler = (obj: T) => {
        for (const key of map(obj, event)) this.enqueue(key);
      };
      source.on(event, handler);
      this.unsubscribe.push(() => source.off(event, handler));
    }
  }

  /**
   * Every `everyMs`, enqueues all the keys `list` returns: level-triggered code repairs
   * drift (an edit made behind its back, a lost event) at the latest one period later.
   */
  resync(everyMs: number, list: () => Promise<Iterable<string>> | Iterable<string>): void {
    const timer = setInterval(() => {
      Promise.resolve()
        .then(list)
        .then(
          (keys) => {
            for (const key of keys) this.enqueue(key);
          },
          (err: unknown) => this.options.logger?.warn('resync listing failed', { controller: this.options.name, err }),
        );
    }, everyMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Starts the workers. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const workers = Math.max(1, this.options.workers ?? 4);
    for (let i = 0; i < workers; i++) this.workers.push(this.work());
  }

  /** Stops taking keys and waits for the reconciles in progress to finish. */
  async stop(): Promise<void> {
    if (this.stopped) return Promise.all(this.workers).then(() => undefined);
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  /** Keys waiting for a worker. */
  get pending(): number {
    return this.queue.length;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.options.reconcile(key);
        this.backoff.forget(key);
      } catch (err) {
        if (err instanceof TerminalError) {
          this.backoff.forget(key);
          this.options.logger?.error('reconcile failed for good; waiting for a change', { controller: this.options.name, key, err });
        } else {
          const retryInMs = this.backoff.next(key);
          this.options.logger?.warn('reconcile failed; retrying', { controller: this.options.name, key, retryInMs, attempt: this.backoff.attempts(key), err });
          this.queue.addAfter(key, retryInMs);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }
}
