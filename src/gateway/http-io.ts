import type { IncomingMessage, ServerResponse } from 'node:http';
import { ParleyError } from '../contract/index.ts';
import { HttpProblem } from './http-errors.ts';
import type { Problem } from './http-errors.ts';

/** Largest request body the gateway reads: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

// Past this much we stop draining an oversized body and drop the connection: draining lets
// a well-behaved client read the 413, but nobody gets to stream gigabytes at us.
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/**
 * Reads and parses a JSON request body. An empty body reads as `undefined`, so that
 * routes whose body is optional need no special case.
 * @throws HttpProblem `payloadTooLarge` past {@link MAX_BODY_BYTES};
 *   ParleyError `malformedJson` when the bytes are not JSON.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_DRAIN_BYTES) {
    req.resume();
    throw new HttpProblem('payloadTooLarge', undefined, { headers: { connection: 'close' } });
  }

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      req.destroy();
      throw new HttpProblem('payloadTooLarge');
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new HttpProblem('payloadTooLarge');
  if (size === 0) return undefined;

  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    // The parser's message names a position, never the body's content.
    throw new ParleyError('malformedJson', (err as Error).message, { cause: err });
  }
}

/** Answers with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

/** Answers with an `application/problem+json` body. */
export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  send(res, problem.status, 'application/problem+json; charset=utf-8', JSON.stringify(problem), headers);
}

/** Answers with plain text of the given content type (e.g. the Prometheus exposition). */
export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  send(res, status, contentType, text, {});
}

function send(res: ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string>): void {
  if (res.headersSent) {
    // Too late for a proper answer; cut the response so the client sees a failure.
    res.destroy();
    return;
  }
  const payload = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': String(payload.length),
    'cache-control': 'no-store',
  });
  res.end(payload);
}
