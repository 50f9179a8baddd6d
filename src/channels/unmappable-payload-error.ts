/**
 * A signed webhook that cannot be turned into envelopes. The server answers the provider
 * 200 (a retry would fail the same way) and dead-letters the raw payload with `reason`.
 * The reason names fields, never message content or customer identifiers.
 */
export class UnmappablePayloadError extends Error {
  override readonly name = 'UnmappablePayloadError';
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`unmappable webhook payload: ${reason}`, options);
    this.reason = reason;
  }
}
