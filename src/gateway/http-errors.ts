import { ErrorCodes, ParleyError } from '../contract/index.ts';
import type { ErrorCode } from '../contract/index.ts';

/**
 * Problems that only exist at the HTTP edge (routing and transport), next to the
 * contract's catalog. Kept here rather than in `src/contract/errors.ts` because no
 * NATS envelope or `command.result` can ever carry them.
 */
export const HttpOnlyCodes = {
  routeNotFound: { status: 404, message: 'no such route' },
  methodNotAllowed: { status: 405, message: 'the method is not allowed on this route' },
  payloadTooLarge: { status: 413, message: 'the request body is too large' },
  upgradeRequired: { status: 426, message: 'this route needs a WebSocket upgrade' },
  internal: { status: 500, message: 'the gateway failed to handle the request' },
} as const;
export type HttpOnlyCode = keyof typeof HttpOnlyCodes;

/** Every `type` a gateway problem response can carry. */
export type ProblemCode = ErrorCode | HttpOnlyCode;

/** The `application/problem+json` body (RFC 9457) the gateway answers errors with. */
export interface Problem {
  /** A code from the error catalog, e.g. `unknownAgent`. */
  type: ProblemCode;
  /** The catalog's message for that code. */
  title: string;
  status: number;
  detail?: string;
}

/** An HTTP-only failure (see {@link HttpOnlyCodes}); catalog failures are `ParleyError`s. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly code: HttpOnlyCode;
  /** Extra response headers, e.g. `Allow` for a 405. */
  readonly headers: Record<string, string>;
  constructor(code: HttpOnlyCode, detail?: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(detail ?? HttpOnlyCodes[code].message, options);
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

/** The status and catalog message of any problem code. */
export function describeCode(code: ProblemCode): { status: number; message: string } {
  return isErrorCode(code) ? ErrorCodes[code] : HttpOnlyCodes[code];
}

/** Builds a problem body; `detail` is left out when it only repeats the title. */
export function problem(code: ProblemCode, detail?: string): Problem {
  const { status, message } = describeCode(code);
  return detail === undefined || detail === message
    ? { type: code, title: message, status }
    : { type: code, title: message, status, detail };
}

/**
 * The one translation from a thrown error to an HTTP problem. Anything that is neither a
 * `ParleyError` nor an `HttpProblem` is a bug or an outage: it becomes a 500 whose detail
 * says nothing about the cause (the caller logs it).
 */
export function toProblem(err: unknown): { problem: Problem; headers: Record<string, string>; unexpected: boolean } {
  if (err instanceof ParleyError) return { problem: problem(err.code, err.message), headers: {}, unexpected: false };
  if (err instanceof HttpProblem) return { problem: problem(err.code, err.message), headers: err.headers, unexpected: false };
  return { problem: problem('internal'), headers: {}, unexpected: true };
}

/** Whether a string from the wire (e.g. a router's `command.result`) is a catalog code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCodes, code);
}
