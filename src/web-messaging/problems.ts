/**
 * Failures of the web-messaging edge, answered as `application/problem+json` (RFC 9457)
 * like the gateway's, and as `error` frames on the customer's socket.
 */
export const WebProblemCodes = {
  unauthorized: { status: 401, message: 'missing, invalid or expired session token' },
  forbidden: { status: 403, message: 'this session or origin may not use this channel' },
  unknownChannel: { status: 404, message: 'no such web messaging channel' },
  notFound: { status: 404, message: 'no such attachment' },
  invalidRequest: { status: 400, message: 'the request does not match the protocol' },
  payloadTooLarge: { status: 413, message: 'the upload is too large' },
  unsupportedMediaType: { status: 415, message: 'this type of file may not be uploaded' },
  upgradeRequired: { status: 426, message: 'this route needs a WebSocket upgrade' },
  rateLimited: { status: 429, message: 'too many messages; wait a moment' },
  unavailable: { status: 503, message: 'the message could not be stored; send it again' },
} as const;
export type WebProblemCode = keyof typeof WebProblemCodes;

export class WebProblem extends Error {
  override readonly name = 'WebProblem';
  readonly code: WebProblemCode;
  constructor(code: WebProblemCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? WebProblemCodes[code].message, options);
    this.code = code;
  }
  get status(): number {
    return WebProblemCodes[this.code].status;
  }
  /** The problem body. */
  toJSON(): { type: WebProblemCode; title: string; status: number; detail?: string } {
    const title = WebProblemCodes[this.code].message;
    return this.message === title ? { type: this.code, title, status: this.status } : { type: this.code, title, status: this.status, detail: this.message };
  }
}
