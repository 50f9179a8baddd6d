/**
 * The one catalog of error codes Parley reports: in dead-letter headers, in
 * `command.result` events and in HTTP problem responses. Translate to transport
 * replies at the edge only.
 */
export const ErrorCodes = {
  malformedJson: { status: 400, retryable: false, message: 'the payload is not valid JSON' },
  invalidEnvelope: { status: 400, retryable: false, message: 'the payload does not match the contract' },
  subjectMismatch: { status: 400, retryable: false, message: 'the subject does not match the envelope' },
  unknownChannel: { status: 404, retryable: false, message: 'no such channel is configured' },
  unknownAgent: { status: 404, retryable: false, message: 'no such agent' },
  unknownConversation: { status: 404, retryable: false, message: 'no such conversation' },
  commandExpired: { status: 410, retryable: false, message: 'the command arrived too late and was not carried out' },
  unknownMessage: { status: 404, retryable: false, message: 'no such outbound message' },
  offerNotFound: { status: 409, retryable: false, message: 'the offer is no longer open' },
  notAssigned: { status: 409, retryable: false, message: 'the conversation is not assigned to this agent' },
  wrapUpRequired: { status: 422, retryable: false, message: 'this queue needs a wrap-up code to end the interaction' },
  invalidWrapUpCode: { status: 422, retryable: false, message: 'not a wrap-up code of this queue' },
  unknownQueue: { status: 404, retryable: false, message: 'no such queue is configured' },
  conversationClosed: { status: 409, retryable: false, message: 'the conversation is closed' },
  outboundNotAllowed: { status: 422, retryable: false, message: 'this channel does not let an agent start a conversation' },
  customerOptedOut: { status: 409, retryable: false, message: 'the customer opted out or is on a do-not-contact list for this channel' },
  outsideWindow: { status: 422, retryable: false, message: "the channel's customer-service window is closed: free text may not start a conversation" },
  unknownTemplate: { status: 422, retryable: false, message: 'the channel lists no approved template with this name and language' },
  invalidTemplateParameters: { status: 422, retryable: false, message: "the parameters do not fill the template's placeholders: one value for each" },
  templateNotSupported: { status: 422, retryable: false, message: 'only WhatsApp channels start a conversation with a template' },
  noCustomerAddress: { status: 422, retryable: false, message: 'the customer has no address on this channel' },
  conversationInProgress: { status: 409, retryable: false, message: 'the customer already has an open conversation on this channel' },
  agentAtCapacity: { status: 409, retryable: false, message: 'the agent is offline or has no free slot for this media type' },
  unauthorized: { status: 401, retryable: false, message: 'missing or invalid credentials' },
  forbidden: { status: 403, retryable: false, message: 'not allowed for this role or tenant' },
  processingFailed: { status: 500, retryable: false, message: 'the message failed too many times and was set aside' },
  timeout: { status: 504, retryable: true, message: 'the router did not answer in time' },
  unavailable: { status: 503, retryable: true, message: 'a dependency is unavailable' },
  notPartitionOwner: { status: 503, retryable: true, message: "this node does not own the actor's partition (any more)" },
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

/** An error that carries a catalog code; `cause` keeps the original error. */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, options);
    this.code = code;
  }
  get retryable(): boolean {
    return ErrorCodes[this.code].retryable;
  }
}
