import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A call the fake provider received. */
export interface FakeCall {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed: JSON, or form fields. */
  readonly parsed: unknown;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** The fake's answer to one call. */
export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers a call; `undefined` holds it unanswered (a provider that took it and never said so, as when the caller dies first). */
export type Answerer = (call: FakeCall, index: number) => FakeAnswer | undefined;

/**
 * A provider's send API played by a small HTTP server: it records every call and answers
 * with the provider's documented shapes (see `answers.ts`). Answers queued with `queue`
 * come first, in order; then `answer` (the provider's normal acceptance).
 */
export class ProviderFake {
  readonly calls: FakeCall[] = [];
  private readonly queued: FakeAnswer[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly server: Server;
  url = '';

  private constructor(private answer: Answerer) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const call: FakeCall = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, parsed: parse(body, req.headers['content-type']), at: Date.now() };
        this.calls.push(call);
        const answer = this.queued.shift() ?? this.answer(call, this.calls.length - 1);
        this.waiters = this.waiters.filter((w) => (this.calls.length >= w.count ? (w.resolve(), false) : true));
        if (!answer) return;
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(text);
      });
    });
  }

  static async start(answer: Answerer): Promise<ProviderFake> {
    const fake = new ProviderFake(answer);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The next calls get these answers, in order (errors, 429s…). */
  queue(...answers: FakeAnswer[]): void {
    this.queued.push(...answers);
  }

  /** Replaces the normal answer. */
  answerWith(answer: Answerer): void {
    this.answer = answer;
  }

  /** Resolves when `count` calls in total were received (or at once if they were). */
  async received(count: number, timeoutMs = 10_000): Promise<FakeCall[]> {
    if (this.calls.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake provider: ${this.calls.length} of ${count} calls within ${timeoutMs} ms`)), timeoutMs);
        this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    }
    return this.calls.slice(0, count);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function parse(body: string, contentType: string | undefined): unknown {
  if (body === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
