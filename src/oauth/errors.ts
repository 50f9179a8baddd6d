/**
 * The token endpoint's errors (RFC 6749 §5.2), answered as
 * `{"error": "...", "error_description": "..."}` with the status below. `invalid_client`
 * answers 401 with `WWW-Authenticate: Basic` (the client authenticated, or tried to, with
 * HTTP Basic or form parameters: §5.2 allows 400, 401 is what clients expect).
 */
export const OAuthErrorCodes = {
  invalid_request: 400,
  invalid_client: 401,
  unsupported_grant_type: 400,
  invalid_scope: 400,
} as const;
export type OAuthErrorCode = keyof typeof OAuthErrorCodes;

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
  get status(): number {
    return OAuthErrorCodes[this.code];
  }
  /** The JSON body of RFC 6749 §5.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Bad input to the client administration API: an unknown scope, an empty name. */
export class OAuthClientInputError extends Error {
  override readonly name = 'OAuthClientInputError';
}
