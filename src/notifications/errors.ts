/** The `Idempotency-Key` was used before with another request body. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(readonly notificationId: string) {
    super(`this Idempotency-Key was first used with another body (notification ${notificationId}); use a new key for a new notification`);
  }
}

/** The request is well-formed but cannot be sent as asked (a channel kind without notifications, a WhatsApp message without a template). */
export class NotificationRequestError extends Error {
  override readonly name = 'NotificationRequestError';
}
