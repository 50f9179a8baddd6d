import { createHmac } from 'node:crypto';

/** The header carrying the callback's signature: `sha256=<hex HMAC-SHA256(secret, raw body)>`. */
export const CALLBACK_SIGNATURE_HEADER = 'x-parley-signature-256';

/** What a status callback's body holds (its `timestamp` is signed with the rest, against replays). */
export interface StatusCallbackBody {
  notificationId: string;
  messageId: string;
  status: string;
  reason: string | null;
  category: string;
  transactional: boolean;
  /** When the status happened (the receipt's time). */
  timestamp: string;
}

export function signCallback(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** A callback the receiver did not take (not 2xx, or no answer): worth retrying. */
export class CallbackFailedError extends Error {
  override readonly name = 'CallbackFailedError';
}

/**
 * POSTs one signed status callback. A 2xx answer is success; anything else throws
 * `CallbackFailedError` (the caller retries with backoff).
 * @param timeoutMs how long the receiver has to answer. @default 10000
 */
export async function postStatusCallback(url: string, secret: string, body: StatusCallbackBody, timeoutMs = 10_000): Promise<void> {
  const raw = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signCallback(secret, raw), 'user-agent': 'parley-notifications' },
      body: raw,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new CallbackFailedError(`callback to ${new URL(url).host} failed: ${(err as Error).message}`, { cause: err });
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new CallbackFailedError(`callback to ${new URL(url).host} answered ${response.status}`);
}
