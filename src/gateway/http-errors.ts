import { ErrorCodes, ParleyError } from '../contract/index.ts';
import type { ErrorCode } from '../contract/index.ts';
import { asParleyError } from '../store/index.ts';

/**
 * Problems that only exist at the HTTP edge (routing and transport), next to the
 * contract's catalog. Kept here rather than in `src/contract/errors.ts` because no
 * NATS envelope or `command.result` can ever carry them.
 */
export const HttpOnlyCodes = {
  routeNotFound: { status: 404, message: 'no such route' },
  unknownNotification: { status: 404, message: 'no such notification' },
  unknownOAuthClient: { status: 404, message: 'no such OAuth client' },
  insufficientScope: { status: 403, message: 'the access token lacks the scope this route needs' },
  idempotencyKeyReused: { status: 409, message: 'the Idempotency-Key was used with another request body' },
  notificationRefused: { status: 422, message: 'the notification cannot be sent as asked' },
  methodNotAllowed: { status: 405, message: 'the method is not allowed on this route' },
  unknownCannedResponse: { status: 404, message: 'no such canned response' },
  unknownAttachment: { status: 404, message: 'no such attachment' },
  attachmentLinkExpired: { status: 410, message: 'the attachment link has expired' },
  unsupportedMediaType: { status: 415, message: 'the channel does not take files of this media type' },
  shortcutTaken: { status: 409, message: 'another canned response has this shortcut' },
  payloadTooLarge: { status: 413, message: 'the request body is too large' },
  upgradeRequired: { status: 426, message: 'this route needs a WebSocket upgrade' },
  rateLimited: { status: 429, message: 'too many requests; retry after the time in Retry-After' },
  internal: { status: 500, message: 'the gateway failed to handle the request' },
  unknownForm: { status: 404, message: 'no such evaluation form' },
  formArchived: { status: 409, message: 'the evaluation form is archived' },
  conversationOpen: { status: 409, message: 'only a conversation no agent is working on (wrapped up or closed) can be evaluated' },
  agentNotOnConversation: { status: 422, message: 'the agent never handled this conversation' },
  unknownContactList: { status: 404, message: 'no such contact list' },
  unknownDncList: { status: 404, message: 'no such do-not-contact list' },
  unknownCampaign: { status: 404, message: 'no such campaign' },
  invalidContact: { status: 422, message: 'the contact cannot be stored' },
  duplicateContact: { status: 409, message: 'the list already has a contact with this id, phone or e-mail' },
  invalidAddress: { status: 422, message: 'not a phone number or an e-mail address' },
  invalidCsv: { status: 422, message: 'the CSV file cannot be loaded' },
  campaignNotReady: { status: 409, message: 'the campaign cannot run as configured' },
  campaignStateConflict: { status: 409, message: 'the campaign cannot make this change in its current state' },
  invalidUnsubscribeLink: { status: 400, message: 'the unsubscribe link is not valid' },
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

/** Seconds a client is told to wait (`Retry-After`) after a 503: an outage is not over at once. */
export const RETRY_AFTER_SECONDS = 5;

// Fastify's own failures that a client caused, by fastify's error code.
const fastifyCodes: Partial<Record<string, HttpOnlyCode | ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payloadTooLarge',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformedJson',
  FST_ERR_BAD_URL: 'routeNotFound',
  FST_ERR_VALIDATION: 'invalidEnvelope',
};

/**
 * The one translation from a thrown error to an HTTP problem. A database outage becomes
 * 503 `unavailable`; every 503 carries `Retry-After`. Anything else that is neither a
 * `ParleyError`, an `HttpProblem` nor a client error fastify recognized is a bug: it
 * becomes a 500 whose detail says nothing about the cause (the caller logs it).
 */
export function toProblem(thrown: unknown): { problem: Problem; headers: Record<string, string>; unexpected: boolean } {
  const err = asParleyError(thrown);
  let answer: { problem: Problem; headers: Record<string, string>; unexpected: boolean };
  if (err instanceof ParleyError) answer = { problem: problem(err.code, err.message), headers: {}, unexpected: false };
  else if (err instanceof HttpProblem) answer = { problem: problem(err.code, err.message), headers: err.headers, unexpected: false };
  else {
    const code = fastifyCodes[(err as { code?: string } | null)?.code ?? ''];
    answer = code ? { problem: problem(code), headers: {}, unexpected: false } : { problem: problem('internal'), headers: {}, unexpected: true };
  }
  if (answer.problem.status === 503) answer.headers = { 'retry-after': String(RETRY_AFTER_SECONDS), ...answer.headers };
  return answer;
}

/** Whether a string from the wire (e.g. a router's `command.result`) is a catalog code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCodes, code);
}
