import { WebSocket } from 'ws';
import type { AgentEvent } from '../contract/index.ts';
import { EventStreamClosedError, EventTimeoutError, GatewayError, errorFromProblem } from './client-errors.ts';

/** Events kept for later `next()` calls or iteration before the oldest are dropped. */
export const MAX_BUFFERED_EVENTS = 10_000;

/** How long `next()` waits by default. */
const DEFAULT_NEXT_TIMEOUT_MS = 10_000;

interface Waiter {
  accepts(event: AgentEvent): boolean;
  deliver(event: AgentEvent): void;
  end(err: EventStreamClosedError): void;
}

/**
 * One agent's live events over the gateway's WebSocket. Events are buffered from the
 * moment the socket opens, so an event that arrives before `next()` is called is not
 * missed: `next()` first looks through the buffer. Each event is handed out once, either
 * to a `next()` whose predicate it matches or to the async iterator, oldest first.
 */
export class AgentEventStream implements AsyncIterable<AgentEvent> {
  /** Resolves once the socket is open; rejects with a `GatewayError` (e.g. 401, 403). */
  readonly opened: Promise<void>;

  readonly #ws: WebSocket;
  readonly #buffer: AgentEvent[] = [];
  readonly #waiters: Waiter[] = [];
  #closed: EventStreamClosedError | undefined;

  /** @param url the `ws://` or `wss://` URL of `/v1/agents/:agentId/events`. */
  constructor(url: string, token: string) {
    this.#ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });

    this.opened = new Promise<void>((resolve, reject) => {
      this.#ws.once('open', () => resolve());
      this.#ws.once('unexpected-response', (_req, res) => {
        // The gateway refused the upgrade with a problem body: surface it like any call.
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          reject(errorFromProblem(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          this.#ws.terminate();
        });
      });
      this.#ws.on('error', (err) => reject(new GatewayError(0, 'unavailable', err.message, undefined, { cause: err })));
      this.#ws.once('close', (code, reason) => {
        reject(new GatewayError(0, 'unavailable', `the socket closed before it opened (${code})`));
        this.#end(new EventStreamClosedError(code, reason.toString()));
      });
    });
    // Callers that only iterate never look at `opened`; its failure ends the stream anyway.
    this.opened.catch(() => undefined);

    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let event: AgentEvent;
      try {
        event = JSON.parse(rawText(data)) as AgentEvent;
      } catch {
        return; // The gateway forwards what was published; a garbled event is skipped.
      }
      this.#push(event);
    });
  }

  /**
   * The next event that matches `predicate` (any event when omitted): from the buffer if
   * one already arrived, else the first to arrive.
   * @throws EventTimeoutError after `timeoutMs` (default 10 s);
   *   EventStreamClosedError when the stream closes first.
   */
  next<E extends AgentEvent>(predicate: (event: AgentEvent) => event is E, timeoutMs?: number): Promise<E>;
  next(predicate?: (event: AgentEvent) => boolean, timeoutMs?: number): Promise<AgentEvent>;
  next(predicate: (event: AgentEvent) => boolean = () => true, timeoutMs = DEFAULT_NEXT_TIMEOUT_MS): Promise<AgentEvent> {
    const index = this.#buffer.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.#buffer.splice(index, 1)[0] as AgentEvent);
    if (this.#closed) return Promise.reject(this.#closed);

    return new Promise<AgentEvent>((resolve, reject) => {
      const waiter: Waiter = {
        accepts: predicate,
        deliver: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        end: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#removeWaiter(waiter);
        reject(new EventTimeoutError(timeoutMs));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Closes the socket; resolves once it is closed. Pending `next()` calls reject. */
  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close(1000, 'client closed');
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<AgentEvent> {
    return {
      next: () => {
        const buffered = this.#buffer.shift();
        if (buffered) return Promise.resolve({ done: false, value: buffered });
        if (this.#closed) return Promise.resolve({ done: true, value: undefined });
        return new Promise<IteratorResult<AgentEvent>>((resolve) => {
          this.#waiters.push({
            accepts: () => true,
            deliver: (event) => resolve({ done: false, value: event }),
            end: () => resolve({ done: true, value: undefined }),
          });
        });
      },
      // Leaving a `for await` loop closes the stream, as with any socket-backed iterable.
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  #push(event: AgentEvent): void {
    const waiter = this.#waiters.find((w) => w.accepts(event));
    if (waiter) {
      this.#removeWaiter(waiter);
      waiter.deliver(event);
      return;
    }
    this.#buffer.push(event);
    // Nobody reads: keep memory bounded, dropping the oldest (they are the stalest).
    if (this.#buffer.length > MAX_BUFFERED_EVENTS) this.#buffer.shift();
  }

  #end(err: EventStreamClosedError): void {
    this.#closed = err;
    for (const waiter of this.#waiters.splice(0)) waiter.end(err);
  }

  #removeWaiter(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
