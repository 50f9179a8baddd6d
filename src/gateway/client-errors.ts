import type { ProblemCode } from './http-errors.ts';

/**
 * A gateway call that failed: `status`, `code` and `detail` come from the problem body.
 * A failure to reach the gateway at all has status 0 and code `unavailable`; an answer
 * that is no problem body (a proxy's error page) has code `unexpectedResponse`.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /** A code from the error catalog, e.g. `offerNotFound`. */
  readonly code: ProblemCode | 'unexpectedResponse' | (string & {});
  /** The server's explanation for this case, when it gave one. */
  readonly detail: string | undefined;

  constructor(status: number, code: string, title: string, detail?: string, options?: { cause?: unknown }) {
    super(detail === undefined ? `${status} ${code}: ${title}` : `${status} ${code}: ${title} (${detail})`, options);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** `AgentEventStream.next` saw no matching event in time. */
export class EventTimeoutError extends Error {
  override readonly name = 'EventTimeoutError';
  constructor(timeoutMs: number) {
    super(`no matching agent event within ${timeoutMs} ms`);
  }
}

/** The event stream closed before a matching event arrived. */
export class EventStreamClosedError extends Error {
  override readonly name = 'EventStreamClosedError';
  /** The WebSocket close code (1000 when closed by `close()`). */
  readonly closeCode: number;
  constructor(closeCode: number, reason: string) {
    super(`the agent event stream closed (${closeCode}${reason ? `: ${reason}` : ''})`);
    this.closeCode = closeCode;
  }
}

/** Turns a failed HTTP answer into a `GatewayError`, reading the problem body if there is one. */
export function errorFromProblem(status: number, bodyText: string): GatewayError {
  try {
    const body = JSON.parse(bodyText) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { type, title, detail } = body as Record<string, unknown>;
      if (typeof type === 'string') {
        return new GatewayError(
          status,
          type,
          typeof title === 'string' ? title : '',
          typeof detail === 'string' ? detail : undefined,
        );
      }
    }
  } catch {
    // Not JSON: fall through to the generic error below.
  }
  return new GatewayError(status, 'unexpectedResponse', `the gateway answered ${status} without a problem body`);
}
